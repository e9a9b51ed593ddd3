// A preview player for any prompt the site can play: uploaded (sha256:…) or built in
// (builtin:hold, builtin:hangup, builtin:greeting). The browser's own controls: keyboard
// operable and labelled.
import { h } from './dom.js'
import { t } from './i18n.js'

export function audioPreview(ref, name) {
  if (!ref || ref === 'none') return null
  return h('audio', { class: 'preview', controls: true, preload: 'metadata', src: '/api/v1/audio/' + encodeURIComponent(ref),
    'aria-label': t('admin.listen', { name }), 'data-ref': ref })
}
