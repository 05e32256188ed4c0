module stasisq

go 1.26.8
