package demo

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	mrand "math/rand/v2"
	"net/http"

	"stasisq/sim"
)

// Customer is what the fake CRM knows of a number, in the order the
// agent's customer panel shows it.
type Customer struct {
	Name         string   `json:"name"`
	Account      string   `json:"account"`
	Tier         string   `json:"tier"`
	CustomerFor  string   `json:"customer_since"`
	RecentOrders []string `json:"recent_orders"`
	Notes        string   `json:"notes"`
}

var (
	crmTiers  = []string{"Standard", "Standard", "Plus", "Business", "Enterprise"}
	crmThings = []string{"Router X2", "Mesh kit (3)", "Fibre upgrade", "Spare power supply", "Annual support plan", "Smart plug pack", "Wi-Fi extender", "Laptop dock"}
	crmStates = []string{"delivered", "shipped", "processing", "returned"}
	crmNotes  = []string{
		"Prefers e-mail follow-up.",
		"Called twice last week about a late delivery.",
		"Asked about moving to an annual plan.",
		"VIP: offer priority replacement.",
		"Disputed last invoice; resolved with a credit.",
		"Speaks Spanish; English is fine too.",
	}
)

// CustomerFor makes up a stable profile for a number: the same caller
// always gets the same customer, under the name its caller id shows.
func CustomerFor(number string) Customer {
	h := fnv.New64a()
	_, _ = h.Write([]byte(number))
	seed := h.Sum64()
	r := mrand.New(mrand.NewPCG(seed, seed>>7|1))
	c := Customer{
		Name:        sim.CallerName(number), // the name the simulated caller presents
		Account:     fmt.Sprintf("ACC-%06d", r.IntN(1000000)),
		Tier:        crmTiers[r.IntN(len(crmTiers))],
		CustomerFor: fmt.Sprint(2012 + r.IntN(14)),
		Notes:       crmNotes[r.IntN(len(crmNotes))],
	}
	for i := range 1 + r.IntN(3) {
		c.RecentOrders = append(c.RecentOrders, fmt.Sprintf("#%d %s (%s)", 48000+r.IntN(2000)+i, crmThings[r.IntN(len(crmThings))], crmStates[r.IntN(len(crmStates))]))
	}
	return c
}

// ServeCRM answers GET ?number=... with the number's Customer as JSON.
func ServeCRM(w http.ResponseWriter, r *http.Request) {
	number := r.URL.Query().Get("number")
	if number == "" {
		http.Error(w, "number required", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(CustomerFor(number)); err != nil {
		// The agent's console gave up on the lookup; nothing to tell it.
		return
	}
}
