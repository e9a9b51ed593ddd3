// The browser softphone for agents whose phone is "browser": WebRTC with G.711 only, signalled
// over the console's event WebSocket. The server offers when it rings the agent; the console
// answers at once (the agent already said 확인 on the alert) with the microphone it asked for
// once.
import { t } from './i18n.js'

export class Softphone {
  constructor(events, status) {
    this.events = events
    this.status = status
    this.stream = null
    this.pcs = new Map() // leg → RTCPeerConnection
    this.audio = new Map()
    this.off = events.on((ev) => this.onEvent(ev))
    this.offStatus = events.onStatus((on) => { if (on) this.hello() })
  }

  destroy() {
    this.off()
    this.offStatus()
    for (const leg of this.pcs.keys()) this.close(leg)
    if (this.stream) this.stream.getTracks().forEach((tr) => tr.stop())
  }

  // prepare asks for the microphone once (before CTI 로그인 or 확인), with a clear message
  // when there is none.
  async prepare() {
    if (this.stream) return this.stream
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.status(t('softphone.nomic'))
      throw new Error(t('softphone.nomic'))
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true }, video: false })
    } catch (e) {
      const msg = e && e.name === 'NotFoundError' ? t('softphone.nomic') : t('softphone.mic', { err: e.message || e.name })
      this.status(msg)
      throw new Error(msg)
    }
    this.status(t('softphone.ready'))
    this.hello()
    return this.stream
  }

  hello() {
    if (this.stream) this.events.send({ type: 'webrtc.hello' })
  }

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
