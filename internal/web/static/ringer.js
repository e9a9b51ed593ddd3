// What tells an agent of an incoming call when the eyes are elsewhere: a ringtone made on the
// spot (no audio file to ship) and, when the tab is hidden, a desktop notification.

// Ringer plays a two-tone ring, 1 s on and 2 s off, until stopped.
export class Ringer {
  constructor() {
    this.enabled = localStorage.getItem('ringdesk.ringtone') !== 'off'
    this.ac = null
    this.timer = null
    this.ringing = false
  }

  setEnabled(on) {
    this.enabled = on
    localStorage.setItem('ringdesk.ringtone', on ? 'on' : 'off')
    if (!on) this.stop()
  }

  start() {
    if (!this.enabled || this.ringing) return
    this.ringing = true
    this.burst()
    this.timer = setInterval(() => this.burst(), 3000)
  }

  // once plays one ring, to try the sound.
  once() { this.burst() }

  burst() {
    try {
      this.ac = this.ac || new AudioContext()
      const now = this.ac.currentTime
      const gain = this.ac.createGain()
      gain.gain.setValueAtTime(0, now)
      gain.gain.linearRampToValueAtTime(0.15, now + 0.02)
      gain.gain.setValueAtTime(0.15, now + 0.98)
      gain.gain.linearRampToValueAtTime(0, now + 1)
      gain.connect(this.ac.destination)
      for (const hz of [440, 480]) {
        const o = this.ac.createOscillator()
        o.frequency.value = hz
        o.connect(gain)
        o.start(now)
        o.stop(now + 1)
      }
      document.dispatchEvent(new CustomEvent('ringdesk:ring'))
    } catch { /* no audio output: the alert and the notification still show */ }
  }

  stop() {
    this.ringing = false
    clearInterval(this.timer)
    this.timer = null
  }
}

// Notifier shows a desktop notification while the tab is hidden; clicking it brings the
// console forward.
export class Notifier {
  constructor() {
    this.current = null
  }

  static supported() { return typeof Notification !== 'undefined' }
  static permission() { return Notifier.supported() ? Notification.permission : 'denied' }
  static async ask() { return Notifier.supported() ? Notification.requestPermission() : 'denied' }

  show(title, body) {
    if (!Notifier.supported() || Notification.permission !== 'granted' || !document.hidden) return null
    this.close()
    const n = new Notification(title, { body, tag: 'ringdesk-call', requireInteraction: true })
    n.onclick = () => { window.focus(); n.close() }
    this.current = n
    return n
  }

  close() {
    if (this.current) this.current.close()
    this.current = null
  }
}
