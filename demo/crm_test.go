package demo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestDemoCustomer(t *testing.T) {
	a, again, b := CustomerFor("+442079460001"), CustomerFor("+442079460001"), CustomerFor("+61491570999")
	if fmt.Sprint(a) != fmt.Sprint(again) {
		t.Errorf("same number: got %+v then %+v, want the same customer", a, again)
	}
	if a.Account == b.Account {
		t.Errorf("different numbers: got the same account %s", a.Account)
	}
	if a.Name == "" || a.Account == "" || len(a.RecentOrders) == 0 || a.Notes == "" {
		t.Errorf("got %+v, want name, account, orders and notes", a)
	}
	rec := httptest.NewRecorder()
	ServeCRM(rec, httptest.NewRequest(http.MethodGet, "/demo/crm", nil))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("no number: got=%d, want 400", rec.Code)
	}
	rec = httptest.NewRecorder()
	ServeCRM(rec, httptest.NewRequest(http.MethodGet, "/demo/crm?number=%2B442079460001", nil))
	var got Customer
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got.Account != a.Account {
		t.Errorf("GET: got=%d %s, want 200 with account %s", rec.Code, rec.Body, a.Account)
	}
}
