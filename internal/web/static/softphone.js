// The browser softphone for agents whose phone is "browser": WebRTC with G.711 only, signalled
// over the console's event WebSocket. The server offers when it rings the agent; the console
// answers at once (the agent already said 확인 on the alert) with the microphone it holds.
//
// The server rings only a console that has said webrtc.hello (it has a microphone and can
// answer). A console says it whenever it is armed and connected: on CTI 로그인, and again by
// itself after a page reload (arm() when the widget finds the agent logged in) and after every
// reconnection of the event socket — otherwise the first call after either fails at once.
import { t } from './i18n.js'

export class Softphone {
  constructor(events, status) {
    this.events = events
    this.status = status
    this.stream = null
    this.muted = false
    this.micId = localStorage.getItem('ringdesk.mic') || ''
    this.speakerId = localStorage.getItem('ringdesk.speaker') || ''
    this.pcs = new Map() // leg → RTCPeerConnection
    this.audio = new Map()
    this.armed = false
    this.off = events.on((ev) => this.onEvent(ev))
    this.offStatus = events.onStatus((on) => {
      if (!this.armed) return
      if (on) {
        this.hello()
        this.status(t('softphone.ready'))
      } else this.status(t('softphone.offline'))
    })
  }

  destroy() {
    this.off()
    this.offStatus()
    for (const leg of this.pcs.keys()) this.close(leg)
    if (this.stream) this.stream.getTracks().forEach((tr) => tr.stop())
    this.stream = null
  }

  // prepare asks for the microphone (before CTI 로그인 or 확인, and when the page comes back
  // with the agent logged in), with a clear message when there is none.
  async prepare() {
    if (this.stream && this.stream.getAudioTracks().some((tr) => tr.readyState === 'live')) {
      this.armed = true
      this.hello()
      return this.stream
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.status(t('softphone.nomic'))
      throw new Error(t('softphone.nomic'))
    }
    try {
      this.stream = await this.open(this.micId)
    } catch (e) {
      const msg = e && e.name === 'NotFoundError' ? t('softphone.nomic') : t('softphone.mic')
      this.status(msg)
      throw new Error(msg)
    }
    this.armed = true
    this.status(t('softphone.ready'))
    this.hello()
    return this.stream
  }

  // arm re-arms the phone of an agent found logged in to CTI (a reload): quietly, as the
  // browser remembers the microphone permission.
  async arm() {
    this.status(t('softphone.rearming'))
    try { await this.prepare() } catch { /* prepare said why */ }
  }

  async open(deviceId) {
    const audio = { echoCancellation: true, noiseSuppression: true }
    if (deviceId) audio.deviceId = { exact: deviceId }
    let s
    try {
      s = await navigator.mediaDevices.getUserMedia({ audio, video: false })
    } catch (e) {
      if (!deviceId || e.name !== 'OverconstrainedError') throw e
      s = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true }, video: false })
    }
    for (const tr of s.getAudioTracks()) tr.enabled = !this.muted
    return s
  }

  hello() {
    if (this.armed && this.stream) this.events.send({ type: 'webrtc.hello' })
  }

  setMuted(on) {
    this.muted = on
    if (this.stream) for (const tr of this.stream.getAudioTracks()) tr.enabled = !on
  }

  // useMicrophone switches the microphone, in a call too (the sender's track is replaced).
  async useMicrophone(id) {
    this.micId = id
    localStorage.setItem('ringdesk.mic', id)
    if (!this.stream) return
    const next = await this.open(id)
    const track = next.getAudioTracks()[0]
    for (const pc of this.pcs.values()) {
      for (const s of pc.getSenders()) if (s.track && s.track.kind === 'audio') await s.replaceTrack(track)
    }
    this.stream.getTracks().forEach((tr) => tr.stop())
    this.stream = next
  }

  // useSpeaker sends what the customer says to another output, where the browser can.
  async useSpeaker(id) {
    this.speakerId = id
    localStorage.setItem('ringdesk.speaker', id)
    for (const el of this.audio.values()) await this.sink(el)
  }

  async sink(el) {
    if (this.speakerId && el.setSinkId) {
      try { await el.setSinkId(this.speakerId) } catch { /* the device went away: the default plays */ }
    }
  }

  // the connected call's audio sender, the one that carries DTMF (the newest connected leg)
  dtmfSender() {
    let out = null
    for (const pc of this.pcs.values()) {
      if (pc.connectionState !== 'connected') continue
      const s = pc.getSenders().find((x) => x.track && x.track.kind === 'audio' && x.dtmf)
      if (s) out = s.dtmf
    }
    return out
  }

  canSendDigits() { return typeof RTCDTMFSender !== 'undefined' }

  // sendDigits presses keys on the call: RFC 4733 events on the audio stream (the server
  // relays them to the other party's leg). Keys pressed quickly queue after those still going.
  sendDigits(keys) {
    const d = this.dtmfSender()
    if (!d || (d.canInsertDTMF === false)) return false
    d.insertDTMF(d.toneBuffer + keys, 120, 70)
    return true
  }

  static canChooseSpeaker() { return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype }

  async onEvent(ev) {
    if (ev.type === 'webrtc.offer') return this.answer(ev.data.leg, ev.data.sdp)
    if (ev.type === 'webrtc.candidate' && this.pcs.has(ev.data.leg)) {
      try { await this.pcs.get(ev.data.leg).addIceCandidate(ev.data.candidate) } catch { /* late candidate */ }
      return
    }
    if (ev.type === 'webrtc.hangup') return this.close(ev.data.leg)
  }

  async answer(leg, sdp) {
    try {
      const stream = await this.prepare()
      this.status(t('softphone.connecting'))
      const pc = new RTCPeerConnection({ iceServers: [] })
      this.pcs.set(leg, pc)
      pc.onicecandidate = (e) => { if (e.candidate) this.events.send({ type: 'webrtc.candidate', data: { leg, candidate: e.candidate.toJSON() } }) }
      pc.ontrack = (e) => {
        const el = new Audio()
        el.autoplay = true
        el.srcObject = e.streams[0] || new MediaStream([e.track])
        el.dataset.leg = leg
        this.audio.set(leg, el)
        this.sink(el)
        el.play().catch(() => {})
      }
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === 'connected') this.status(t('softphone.ready'))
        if (pc.connectionState === 'failed') this.close(leg)
      }
      await pc.setRemoteDescription({ type: 'offer', sdp })
      for (const track of stream.getAudioTracks()) pc.addTrack(track, stream)
      // only G.711: the server bridges to SIP legs without transcoding
      for (const tr of pc.getTransceivers()) {
        if (tr.receiver.track.kind !== 'audio' || !tr.setCodecPreferences || !RTCRtpReceiver.getCapabilities) continue
        const caps = RTCRtpReceiver.getCapabilities('audio').codecs.filter((c) => /PCMU|PCMA|telephone-event/i.test(c.mimeType))
        if (caps.length) tr.setCodecPreferences(caps)
      }
      const ans = await pc.createAnswer()
      await pc.setLocalDescription(ans)
      this.events.send({ type: 'webrtc.answer', data: { leg, sdp: pc.localDescription.sdp } })
    } catch (e) {
      this.events.send({ type: 'webrtc.reject', data: { leg, reason: String(e.message || e) } })
      this.close(leg)
    }
  }

  close(leg) {
    const pc = this.pcs.get(leg)
    if (pc) { pc.close(); this.pcs.delete(leg) }
    const el = this.audio.get(leg)
    if (el) { el.srcObject = null; el.remove(); this.audio.delete(leg) }
  }
}

// LevelMeter reads a microphone's loudness (0..1) a few times a second.
export class LevelMeter {
  constructor(stream, onLevel) {
    this.ac = new AudioContext()
    const src = this.ac.createMediaStreamSource(stream)
    this.an = this.ac.createAnalyser()
    this.an.fftSize = 1024
    src.connect(this.an)
    const buf = new Float32Array(this.an.fftSize)
    this.timer = setInterval(() => {
      this.an.getFloatTimeDomainData(buf)
      let sum = 0
      for (const v of buf) sum += v * v
      onLevel(Math.min(1, Math.sqrt(sum / buf.length) * 4))
    }, 100)
  }

  stop() {
    clearInterval(this.timer)
    this.ac.close().catch(() => {})
  }
}
