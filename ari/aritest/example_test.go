package aritest_test

import (
	"context"
	"fmt"
	"time"

	"stasisq/ari/aritest"
)

// A test sets up devices, connects its application to URL()+"/ari/events",
// then lets callers in.
func ExampleServer() {
	s := aritest.NewServer(aritest.Options{User: "stasisq", Password: "secret", AnswerDelay: 10 * time.Millisecond})
	defer s.Close()
	s.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer, After: time.Second, TalkFor: 30 * time.Second})
	s.SetDevice("PJSIP/1002", aritest.DeviceBehavior{Action: aritest.Busy})

	// No application is connected here, so Stasis() fails and the dialplan goes on.
	call, err := s.Call(context.Background(), aritest.CallSpec{App: "stasisq", Args: []string{"support"}, Number: "5551234", Name: "Alice"})
	if err != nil {
		fmt.Println(err)
		return
	}
	<-call.Done()
	r := call.Result()
	fmt.Println(r.Vars["STASISSTATUS"], r.Continued)
	// Output: FAILED true
}
