package media

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"ringdesk/internal/telephony"
	"ringdesk/internal/wav"
)

// promptTimeout bounds how long a stored prompt may take to load.
const promptTimeout = 5 * time.Second

// clipLoad is a stored prompt being loaded or loaded: the first Play of an id loads it and
// later ones wait for that load instead of starting their own.
type clipLoad struct {
	done chan struct{}
	clip *clip
	err  error
}

// failedClip is what a player plays when its audio cannot be loaded: one frame of silence,
// so that a caller waiting for the end of an announcement is not left waiting.
var failedClip = newClip(make([]int16, frameSamples))

// cachedClip returns audio that can start at once: built-in, or a prompt already loaded.
func (m *Manager) cachedClip(a telephony.Audio) (*clip, bool) {
	if c := builtinClip(a); c != nil {
		return c, true
	}
	m.clipMu.Lock()
	defer m.clipMu.Unlock()
	if l := m.clips[string(a)]; l != nil {
		select {
		case <-l.done:
			return l.clip, l.err == nil
		default:
		}
	}
	return nil, false
}

// loadClip returns the audio a names, loading a stored prompt through the PromptSource. On
// failure it logs why and returns failedClip.
func (m *Manager) loadClip(a telephony.Audio) *clip {
	c, err := m.clip(a)
	if err != nil {
		m.log.Error("media: audio cannot be played; playing silence instead", "audio", string(a), "err", err)
		return failedClip
	}
	return c
}

// clip returns the decoded audio a names.
func (m *Manager) clip(a telephony.Audio) (*clip, error) {
	if c := builtinClip(a); c != nil {
		return c, nil
	}
	id := string(a)
	if !strings.HasPrefix(id, "sha256:") {
		return nil, fmt.Errorf("media: unknown audio %q (want builtin:… or sha256:…)", id)
	}
	m.clipMu.Lock()
	l := m.clips[id]
	if l == nil {
		l = &clipLoad{done: make(chan struct{})}
		m.clips[id] = l
		m.clipMu.Unlock()
		l.clip, l.err = m.fetch(id)
		if l.err != nil {
			m.clipMu.Lock()
			delete(m.clips, id) // the next Play tries again: the store may have been busy
			m.clipMu.Unlock()
		}
		close(l.done)
	} else {
		m.clipMu.Unlock()
		<-l.done
	}
	return l.clip, l.err
}

// fetch reads and decodes a stored prompt. Prompts are named by their content's hash, so a
// decoded prompt never goes stale and is kept for the life of the process.
func (m *Manager) fetch(id string) (*clip, error) {
	if m.prompts == nil {
		return nil, errors.New("media: no prompt store")
	}
	ctx, cancel := context.WithTimeout(context.Background(), promptTimeout)
	defer cancel()
	data, err := m.prompts.Prompt(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("media: prompt %s: %w", id, err)
	}
	w, err := wav.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("media: prompt %s: %w", id, err)
	}
	return newClip(w.Samples), nil
}
