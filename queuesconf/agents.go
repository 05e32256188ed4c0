package queuesconf

import (
	"fmt"
	"strings"

	"stasisq/queue"
)

// agentReasons explains the agents.conf options stasisq has no place for,
// from both chan_agent's [agents] section and app_agent_pool's per-agent
// sections.
var agentReasons = map[string]string{
	"password":          "passwords are not carried over (set them in the UI); stasisq stores its own bcrypt hashes",
	"autologoff":        "automatic logoff after unanswered rings is not supported; autopause in the queue covers it",
	"autologoffunavail": "automatic logoff when the device is unavailable is not supported",
	"ackcall":           "acknowledging a call with a key is not needed: the agent accepts or rejects in the browser",
	"acceptdtmf":        "acknowledging a call with a key is not needed: the agent accepts or rejects in the browser",
	"endcall":           "ending a call with a key is not supported; the agent hangs up the phone or uses the browser",
	"enddtmf":           "ending a call with a key is not supported; the agent hangs up the phone or uses the browser",
	"wrapuptime":        "per-agent wrap-up is not supported; each queue's wrapuptime applies",
	"musiconhold":       "agents wait on their own phones in stasisq, so there is no agent hold music",
	"group":             "agent groups are not supported; give the agent queue memberships instead",
	"updatecdr":         "stasisq does not write to the CDR",
	"recordagentcalls":  "chan_agent recording is not carried over: stasisq records per queue (monitor-format in queues.conf, or Admin > Queues > Recording)",
	"recordformat":      "call recording is not supported",
	"urlprefix":         "call recording is not supported",
	"savecallsin":       "call recording is not supported",
	"custom_beep":       "the beep played to the agent before a call is not supported",
	"goodbye":           "the logoff prompt is not played: agents log out in the browser",
	"maxlogintries":     "agents log in to the browser with their stasisq password",
	"persistentagents":  "stasisq keeps logins in its own database",
}

// ParseAgents reads an agents.conf, either chan_agent style
// ("agent => id,password,name" lines under [agents]) or app_agent_pool style
// ([agent-id] sections with fullname=, usually from a template). Agents come
// back without a device: in Asterisk they logged in from any phone, so the
// device must be chosen in the UI.
func ParseAgents(path string, opts Options) ([]queue.AgentConfig, []Warning, error) {
	cfg, err := loadConfig(path, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("agents.conf: %w", err)
	}
	ws := cfg.warnings
	var agents []queue.AgentConfig
	ids := map[string]bool{}
	addAgent := func(sec *section, v variable, id, name string) {
		switch {
		case id == "":
			ws = append(ws, sec.warn(v, "agent without an ID is left out"))
			return
		case ids[id]:
			ws = append(ws, sec.warn(v, fmt.Sprintf("agent %q is defined twice; the first definition is kept", id)))
			return
		}
		ids[id] = true
		if name == "" {
			name = id
		}
		agents = append(agents, queue.AgentConfig{ID: id, Name: name})
		ws = append(ws, Warning{File: v.File, Line: v.Line, Section: sec.Name,
			Reason: fmt.Sprintf("agent %q has no device: app_agent_pool agents log in from any phone, so set the device (e.g. PJSIP/%s) in the UI", id, id)})
	}
	for _, sec := range cfg.Sections() {
		lower := strings.ToLower(sec.Name)
		switch {
		case lower == "general":
			for _, v := range sec.Vars {
				reason, ok := agentReasons[strings.ToLower(v.Name)]
				if !ok {
					reason = "unknown [general] option; Asterisk ignores it too"
				}
				ws = append(ws, sec.warn(v, reason))
			}
		case lower == "agents" && hasVar(sec, "agent"):
			for _, v := range sec.Vars {
				if !strings.EqualFold(v.Name, "agent") {
					ws = append(ws, sec.warn(v, optionReason(v.Name)))
					continue
				}
				f := splitArgs(v.Value)
				for len(f) < 3 {
					f = append(f, "")
				}
				if f[1] != "" {
					ws = append(ws, Warning{File: v.File, Line: v.Line, Section: sec.Name, Option: "password", Value: "(hidden)",
						Reason: fmt.Sprintf("agent %s: %s", f[0], agentReasons["password"])})
				}
				addAgent(sec, v, slug(f[0]), f[2])
			}
		default:
			name := ""
			at := variable{File: sec.File, Line: sec.Line}
			for _, v := range sec.Vars {
				if strings.EqualFold(v.Name, "fullname") {
					name = v.Value
					continue
				}
				if strings.EqualFold(v.Name, "password") && v.Value != "" {
					ws = append(ws, Warning{File: v.File, Line: v.Line, Section: sec.Name, Option: "password", Value: "(hidden)",
						Reason: agentReasons["password"]})
					continue
				}
				ws = append(ws, sec.warn(v, optionReason(v.Name)))
			}
			addAgent(sec, at, slug(sec.Name), name)
		}
	}
	return agents, ws, nil
}

func optionReason(name string) string {
	if reason, ok := agentReasons[strings.ToLower(name)]; ok {
		return reason
	}
	return "unknown agent option; Asterisk ignores it too"
}

func hasVar(sec *section, name string) bool {
	for _, v := range sec.Vars {
		if strings.EqualFold(v.Name, name) {
			return true
		}
	}
	return false
}
