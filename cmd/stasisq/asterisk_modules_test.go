package main

import (
	"errors"
	"testing"

	"stasisq/ari"
	"stasisq/ari/aritest"
	"stasisq/internal/asteriskt"
)

// The fake answers a module lookup as the real Asterisk does: the call
// flow asks for codec_opus.so to choose the browser phones' codecs, and
// the bare name of a loaded module is a 409, not the module.
func TestAsteriskModulesAsTheFakeAnswers(t *testing.T) {
	ast := asteriskt.Start(t, nil)
	real, err := ari.NewClient(ari.Config{URL: ast.ARIURL, User: ast.ARIUser, Password: ast.ARIPassword, App: "modules"})
	if err != nil {
		t.Fatal(err)
	}
	fakeSrv := aritest.NewServer(aritest.Options{User: testUser, Password: testPassword})
	t.Cleanup(fakeSrv.Close)
	fake, err := ari.NewClient(ari.Config{URL: fakeSrv.URL(), User: testUser, Password: testPassword, App: "modules"})
	if err != nil {
		t.Fatal(err)
	}
	status := func(err error) int {
		var e *ari.Error
		if errors.As(err, &e) {
			return e.Status
		}
		if err != nil {
			t.Fatalf("module lookup: %v", err)
		}
		return 200
	}
	for _, name := range []string{"codec_ulaw.so", "res_pjsip.so", "codec_opus.so", "codec_ulaw"} {
		rm, rerr := real.GetModule(t.Context(), name)
		fm, ferr := fake.GetModule(t.Context(), name)
		rs, fs := status(rerr), status(ferr)
		if rs != fs {
			t.Errorf("%s: Asterisk answers %d (%v), the fake %d (%v)", name, rs, rerr, fs, ferr)
			continue
		}
		if rs == 200 && (rm.Name != fm.Name || rm.Status != fm.Status) {
			t.Errorf("%s: Asterisk has %+v, the fake %+v", name, rm, fm)
		}
		t.Logf("%s: %d %+v", name, rs, rm)
	}
	if _, err := real.GetModule(t.Context(), "codec_opus.so"); !errors.Is(err, ari.ErrNotFound) {
		t.Errorf("codec_opus.so on this Asterisk: %v, want not found (it has no codec_opus)", err)
	}
}
