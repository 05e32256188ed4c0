package queue

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidateQueue(t *testing.T) {
	tests := []struct {
		name   string
		mod    func(*QueueConfig)
		fields []string
	}{
		{"defaults_are_valid", func(*QueueConfig) {}, nil},
		{"every_strategy_is_valid", func(c *QueueConfig) { c.Strategy = LongestIdle }, nil},
		{"empty_name", func(c *QueueConfig) { c.Name = "" }, []string{"name"}},
		{"unknown_strategy", func(c *QueueConfig) { c.Strategy = "roundrobin" }, []string{"strategy"}},
		{"zero_timeout", func(c *QueueConfig) { c.Timeout = 0 }, []string{"timeout"}},
		{"negative_durations", func(c *QueueConfig) {
			c.Retry, c.WrapUpTime, c.MaxWait = -1, -1, -1
		}, []string{"retry", "wrapuptime", "maxwait"}},
		{"bad_words", func(c *QueueConfig) {
			c.TimeoutPriority, c.AutoPause, c.AnnouncePosition, c.AnnounceHoldTime = "x", "maybe", "always", "twice"
		}, []string{"timeoutpriority", "autopause", "announce_position", "announce_holdtime"}},
		{"exit_key_not_dtmf", func(c *QueueConfig) { c.ExitKeys = "1x" }, []string{"exitkeys"}},
		{"sound_not_a_prompt", func(c *QueueConfig) { c.Sounds = map[string]string{"queue-frob": "x"} }, []string{"sounds"}},
		{"sound_with_a_comma", func(c *QueueConfig) { c.Sounds = map[string]string{"queue-thankyou": "a,b"} }, []string{"sounds"}},
		{"exit_context_with_a_comma", func(c *QueueConfig) { c.ExitContext = "a,b" }, []string{"exitcontext"}},
		{"unknown_empty_condition", func(c *QueueConfig) { c.JoinEmpty = []EmptyCondition{"strict"} }, []string{"joinempty"}},
		{"rule_with_negative_time", func(c *QueueConfig) { c.Rules = []PenaltyRule{{After: -time.Second, MaxRelative: true}} }, []string{"rules[0].after"}},
		{"rounding_out_of_range", func(c *QueueConfig) { c.AnnounceRoundSeconds = 60 }, []string{"announce_round_seconds"}},
		// Issue 14: a 900 KB music class with NULs was accepted and sent in every snapshot.
		{"huge_music_class_with_nuls", func(c *QueueConfig) { c.MusicClass = strings.Repeat("a\x00", 450<<10) }, []string{"musicclass"}},
		{"music_class_with_a_space", func(c *QueueConfig) { c.MusicClass = "my class" }, []string{"musicclass"}},
		{"music_class_at_the_limit", func(c *QueueConfig) { c.MusicClass = strings.Repeat("m", MaxAsteriskName) }, nil},
		{"music_class_over_the_limit", func(c *QueueConfig) { c.MusicClass = strings.Repeat("m", MaxAsteriskName+1) }, []string{"musicclass"}},
		{"name_not_a_valid_name", func(c *QueueConfig) { c.Name = strings.Repeat("q", 65) }, []string{"name"}},
		{"sound_with_a_newline", func(c *QueueConfig) { c.Sounds = map[string]string{"queue-thankyou": "custom/thanks\n"} }, []string{"sounds"}},
		{"sound_path_is_fine", func(c *QueueConfig) { c.Sounds = map[string]string{"queue-thankyou": "custom/en/thanks-2"} }, nil},
		{"too_many_periodic_announcements", func(c *QueueConfig) { c.PeriodicAnnounce = slices.Repeat([]string{"p"}, MaxListLength+1) }, []string{"periodic_announce"}},
		{"periodic_announcement_with_a_pipe", func(c *QueueConfig) { c.PeriodicAnnounce = []string{"a|b"} }, []string{"periodic_announce[0]"}},
		{"too_many_rules", func(c *QueueConfig) {
			c.Rules = slices.Repeat([]PenaltyRule{{MaxRelative: true, MinRelative: true}}, MaxListLength+1)
		}, []string{"rules"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultQueueConfig("q")
			tt.mod(&c)
			err := ValidateQueue(c)
			var ve *ValidationError
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("got err=%v, want nil", err)
				}
				return
			}
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("got err=%v, want *ValidationError wrapping ErrInvalid", err)
			}
			var got []string
			for _, f := range ve.Fields {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tt.fields) {
				t.Fatalf("got fields=%v, want %v", got, tt.fields)
			}
		})
	}
	t.Run("invalid_configuration_is_refused_and_changes_nothing", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, nil)
		bad := queueCfg("q", "nope")
		wantErrIs(t, h.doErr(ConfigureQueue{Config: bad}), ErrInvalid)
		if v, _ := h.e.Queue("q"); v.Config.Strategy != RRMemory {
			t.Fatalf("got strategy=%v, want rrmemory kept", v.Config.Strategy)
		}
	})
}

func TestValidateAgent(t *testing.T) {
	tests := []struct {
		name   string
		cfg    AgentConfig
		fields []string
	}{
		{"valid", AgentConfig{ID: "a", Device: "PJSIP/1", Queues: []Membership{{Queue: "q", Penalty: 3}}, Skills: map[string]int{"fr": 100}}, nil},
		{"missing_id_and_device", AgentConfig{}, []string{"device", "id"}},
		{"queue_twice_and_negative_penalty", AgentConfig{ID: "a", Device: "d", Queues: []Membership{{Queue: "q"}, {Queue: "q", Penalty: -1}}},
			[]string{"queues[1].penalty", "queues[1].queue"}},
		{"skill_level_out_of_range", AgentConfig{ID: "a", Device: "d", Skills: map[string]int{"fr": 0}}, []string{"skills.fr"}},
		{"name_with_a_newline", AgentConfig{ID: "a", Name: "Ann\nFAKE|queue_log|line", Device: "PJSIP/1"}, []string{"name"}},
		{"name_not_utf8", AgentConfig{ID: "a", Name: "Ann \xff", Device: "PJSIP/1"}, []string{"name"}},
		{"name_too_long", AgentConfig{ID: "a", Name: strings.Repeat("é", MaxTextLength), Device: "PJSIP/1"}, []string{"name"}},
		{"name_in_any_script", AgentConfig{ID: "a", Name: "Zoë Ålund 李", Device: "PJSIP/1"}, nil},
		{"device_with_a_comma", AgentConfig{ID: "a", Device: "PJSIP/1,PJSIP/2"}, []string{"device"}},
		{"device_with_a_nul", AgentConfig{ID: "a", Device: "PJSIP/1\x00"}, []string{"device"}},
		{"skill_name_with_control", AgentConfig{ID: "a", Device: "PJSIP/1", Skills: map[string]int{"fr\x07": 5}}, []string{"skills"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateAgent(tt.cfg)
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("got err=%v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got err=%v, want *ValidationError", err)
			}
			var got []string
			for _, f := range ve.Fields {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tt.fields) {
				t.Fatalf("got fields=%v, want %v", got, tt.fields)
			}
		})
	}
}
