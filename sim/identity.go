package sim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
)

var firstNames = []string{
	"Amelia", "Oliver", "Sofia", "Liam", "Mia", "Noah", "Aisha", "Mateo", "Chloe", "Lucas",
	"Priya", "Ethan", "Yuki", "Hugo", "Zara", "Jonas", "Elena", "Omar", "Grace", "Felix",
	"Ingrid", "Kwame", "Lena", "Rafael", "Nora", "Tomás", "Hannah", "Arjun", "Maja", "Diego",
}

var lastNames = []string{
	"Smith", "García", "Müller", "Nguyen", "Okafor", "Rossi", "Kowalski", "Johansson", "Patel", "Dubois",
	"Tanaka", "O'Brien", "Silva", "Novak", "Hughes", "Jensen", "Moreau", "Khan", "Fischer", "Costa",
	"Ivanova", "Murphy", "Larsen", "Haddad", "Schmidt", "Walker", "Bianchi", "Kim", "Mendes", "Byrne",
}

// CallerName is the realistic full name a simulated caller with this number
// presents. It is a function of the number so that the demo's CRM can give
// the same name for the same caller.
func CallerName(number string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(number))
	n := h.Sum64()
	return firstNames[n%uint64(len(firstNames))] + " " + lastNames[(n/uint64(len(firstNames)))%uint64(len(lastNames))]
}

// CallerNumber draws an E.164 number from ranges the regulators set aside
// for drama and examples, so a demo never shows someone's real number.
func CallerNumber(r *rand.Rand) string {
	switch r.IntN(3) {
	case 0: // UK Ofcom drama range 020 7946 0000-0999
		return fmt.Sprintf("+442079460%03d", r.IntN(1000))
	case 1: // North American 555-0100..0199 fictional numbers
		return fmt.Sprintf("+1%03d55501%02d", 201+r.IntN(700), r.IntN(100))
	default: // Australian ACMA mobile range 0491 570 xxx
		return fmt.Sprintf("+61491570%03d", r.IntN(1000))
	}
}
