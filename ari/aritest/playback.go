package aritest

import (
	"strings"
	"time"
)

type playback struct {
	id       string
	media    []string
	target   string // "channel:id" or "bridge:id"
	lang     string
	state    string
	timer    *time.Timer
	ch       *channel
	br       *bridge
	finished bool
}

func (pb *playback) json() playbackJSON {
	j := playbackJSON{ID: pb.id, MediaURI: pb.media[0], TargetURI: pb.target, Language: pb.lang, State: pb.state}
	if len(pb.media) > 1 {
		j.NextMediaURI = pb.media[1]
	}
	return j
}

func (s *Server) playbackApps(pb *playback) map[string]bool {
	if pb.ch != nil {
		return s.channelApps(pb.ch)
	}
	apps := map[string]bool{}
	if pb.br != nil {
		for _, ch := range pb.br.channels {
			for a := range s.channelApps(ch) {
				apps[a] = true
			}
		}
		for name, app := range s.apps {
			if app.bridges[pb.br.id] {
				apps[name] = true
			}
		}
	}
	return apps
}

// play starts a playback on target; PlaybackStarted goes out before the 201,
// whose body still says "queued", as Asterisk's does.
func (s *Server) play(target, id string, p params) reply {
	media := p.list("media")
	if len(media) == 0 {
		return errReply(400, "Missing parameter media")
	}
	if id == "" {
		id = s.newUUID()
	} else if _, dup := s.playbacks[id]; dup {
		return errReply(409, "Playback with id '"+id+"' already exists")
	}
	lang := p.get("lang")
	if lang == "" {
		lang = "en"
	}
	pb := &playback{id: id, media: media, target: target, lang: lang, state: "queued"}
	kind, tid, _ := strings.Cut(target, ":")
	if kind == "channel" {
		pb.ch = s.channels[tid]
		pb.ch.playbacks[id] = pb
	} else {
		pb.br = s.bridges[tid]
		pb.br.playbacks[id] = pb
	}
	s.playbacks[id] = pb
	body := pb.json()
	pb.state = "playing"
	s.send(s.playbackApps(pb), &playbackEvent{eventBase: base("PlaybackStarted", time.Now()), Playback: pb.json()})
	var total time.Duration
	for _, m := range media {
		total += s.opts.PlaybackDuration(m)
	}
	pb.timer = s.after(total, func() { s.finishPlayback(pb, true) })
	return reply{status: 201, body: body}
}

// finishPlayback ends pb; stopped early or not, Asterisk says "done".
func (s *Server) finishPlayback(pb *playback, announce bool) {
	if pb.finished {
		return
	}
	pb.finished = true
	s.stopTimer(pb.timer)
	pb.state = "done"
	if announce {
		s.send(s.playbackApps(pb), &playbackEvent{eventBase: base("PlaybackFinished", time.Now()), Playback: pb.json()})
	}
	delete(s.playbacks, pb.id)
	if pb.ch != nil {
		delete(pb.ch.playbacks, pb.id)
	}
	if pb.br != nil {
		delete(pb.br.playbacks, pb.id)
	}
}

func (s *Server) getPlayback(id string) reply {
	pb := s.playbacks[id]
	if pb == nil {
		return errReply(404, "Playback not found")
	}
	return okReply(pb.json())
}

func (s *Server) stopPlayback(id string) reply {
	pb := s.playbacks[id]
	if pb == nil {
		return errReply(404, "Playback not found")
	}
	s.finishPlayback(pb, true)
	return noContent
}
