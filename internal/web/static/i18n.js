// Labels of the console. Korean is the default and is written exactly as the service guide
// writes it; English is the second language.

const ko = {
  'app.title': 'Ringdesk',
  'login.title': '로그인', 'login.login': '아이디', 'login.password': '비밀번호', 'login.submit': '로그인',
  'login.failed': '아이디 또는 비밀번호가 올바르지 않습니다.',
  'login.throttled': '로그인 시도가 너무 많습니다. {s}초 후에 다시 시도하세요.',
  'login.busy': '로그인 요청이 많아 처리하지 못했습니다. 잠시 후 다시 시도하세요.',
  'nav.tickets': '티켓', 'nav.live': '실시간 현황', 'nav.admin': '전체 관리', 'nav.logout': '로그아웃',
  'nav.service': '서비스', 'nav.lang': 'English',
  'state.logged_out': 'CTI 로그아웃', 'state.default': '기본', 'state.break': '휴식', 'state.ready': '대기',
  'state.work': '업무', 'state.offered': '전화 인입', 'state.ringing': '연결 중', 'state.dialing': '발신 중',
  'state.on_call': '통화 중', 'state.consulting': '통화중(호전환)', 'state.held': '보류중', 'state.after_call': '통화 종료',
  'reason.training': '교육', 'reason.report': '취합/보고', 'reason.meeting': '회의', 'reason.ticket': '티켓처리',
  'reason.chat': '채팅처리', 'reason.coaching': '코칭(모니터링)',
  'cti.login': 'CTI 로그인', 'cti.logout': 'CTI 로그아웃', 'cti.break': '휴식', 'cti.ready': '대기', 'cti.work': '업무',
  'cti.default': '기본', 'cti.dial': '걸기', 'cti.transfer': '호전환', 'cti.forced': '강성종료', 'cti.hold': '보류',
  'cti.unhold': '해제', 'cti.hangup': '끊기', 'cti.confirm': '확인', 'cti.cancel': '취소',
  'cti.consult': '협의통화', 'cti.connect': '고객연결',
  'phone.icon': '전화', 'phone.widget': '전화 위젯', 'phone.close': '닫기',
  'dial.title': '전화 걸기', 'dial.number': '고객 번호', 'dial.callerid': '발신 번호', 'dial.noids': '등록 완료된 발신번호가 없습니다.',
  'offer.title': '전화 인입 알림창', 'offer.body': '전화가 인입되었습니다. 연결되면 {service} 서비스의 티켓 처리 창으로 이동합니다.',
  'offer.from': '발신자', 'offer.recall': '호회수까지 {s}초', 'offer.transfer': '{agent} 상담원의 호전환 요청',
  'transfer.title': '호전환', 'transfer.direct': '직접 입력', 'transfer.favorites': '자주 사용되는 번호',
  'transfer.ready': '대기 상담원 확인', 'transfer.group': '그룹 선택', 'transfer.target': '전화번호/내선번호/큐 번호',
  'transfer.none': '대기 중인 상담원이 없습니다.', 'transfer.consulting': '협의통화 중: {target}',
  'transfer.dialing': '협의통화 발신 중: {target}',
  'forced.title': '강성종료', 'forced.body': '확인을 누르면 아래 안내 멘트가 고객에게 송출된 후 통화가 종료됩니다.',
  'after.title': 'CTI 상태 변경 알림', 'after.body': '통화가 종료되었습니다. 확인을 누르면 대기 상태로, 취소를 누르면 업무(티켓처리) 상태로 변경됩니다.',
  'call.with': '통화 상대', 'call.ticket': '티켓 #{id}', 'call.customerHeld': '고객이 통화를 보류했습니다',
  'notice.restarted': '시스템이 다시 시작되어 CTI에 다시 로그인되었습니다. 상태는 기본입니다',
  'softphone.mic': '마이크를 사용할 수 없습니다: {err}', 'softphone.nomic': '이 브라우저에는 마이크가 없습니다. 전화를 받으려면 마이크를 연결하세요.',
  'softphone.ready': '브라우저 전화 준비됨', 'softphone.connecting': '브라우저 전화 연결 중',
  'tickets.title': '티켓', 'tickets.status': '상태', 'tickets.phone': '전화번호', 'tickets.assignee': '담당자',
  'tickets.search': '검색', 'tickets.none': '티켓이 없습니다.', 'tickets.subject': '제목', 'tickets.created': '생성',
  'tickets.more': '더 보기', 'tickets.all': '전체',
  'status.new': '신규', 'status.open': '진행', 'status.pending': '보류', 'status.solved': '해결', 'status.closed': '종료',
  'ticket.save': '저장', 'ticket.notes': '메모', 'ticket.addnote': '메모 추가', 'ticket.calls': '통화 기록',
  'ticket.earlier': '이 고객의 이전 티켓', 'ticket.saved': '저장되었습니다.',
  'call.direction': '방향', 'call.from': '발신', 'call.to': '수신', 'call.callerid': '발신 번호', 'call.queue': '큐',
  'call.agent': '상담원', 'call.offered': '인입', 'call.answered': '연결', 'call.ended': '종료', 'call.talk': '통화(초)',
  'call.hold': '보류(초)', 'call.cause': '종료 사유', 'call.by': '종료 주체', 'call.transfers': '호전환',
  'dir.inbound': '수신', 'dir.outbound': '발신', 'dir.internal': '내선',
  'live.title': '실시간 현황', 'live.agents': '상담원', 'live.queues': '큐', 'live.state': '상태', 'live.time': '상태 시간',
  'live.waiting': '대기 호', 'live.ready': '대기 상담원', 'live.registered': '전화기', 'live.calls': '진행 중인 통화',
  'admin.title': '전체 관리', 'admin.services': '계약 서비스 현황', 'admin.cti': 'CTI 관리', 'admin.agents': '상담원',
  'admin.trunks': '트렁크', 'admin.callerids': '발신번호 관리', 'admin.favorites': '자주 사용되는 번호',
  'admin.groups': '그룹', 'admin.queues': '큐', 'admin.numbers': '대표번호', 'admin.audio': '대기음/안내 멘트',
  'admin.ctiinfo': 'CTI 정보', 'admin.ctiagent': 'CTI 상담원 정보', 'admin.save': '저장', 'admin.add': '추가',
  'admin.remove': '삭제', 'admin.up': '위로', 'admin.down': '아래로', 'admin.approve': '승인',
  'admin.saved': '저장되었습니다.', 'admin.id': 'ID', 'admin.name': '이름', 'admin.ctiuse': '전화 CTI 사용',
  'admin.dialAllow': '발신 허용 번호 패턴 (한 줄에 하나)', 'admin.dialDeny': '발신 차단 번호 패턴 (한 줄에 하나)',
  'admin.dialHint': '숫자, x(아무 숫자 하나), [1-9](범위), 끝의 *(나머지 전부)를 씁니다. 비워 두면 국내 번호만 걸 수 있고 국제전화(00, +)와 060은 막힙니다. 차단이 허용보다 우선합니다.',
  'admin.use': '사용', 'admin.nouse': '미사용', 'admin.recall': '호회수 시간(초)', 'admin.wrapup': '후처리 후 자동 대기(초, 0은 사용 안 함)', 'admin.noanswer': '미응답 시 상담원 상태',
  'admin.announcement': '강성종료 안내 멘트', 'admin.holdaudio': '대기음', 'admin.hangupaudio': '강성종료 안내 음성',
  'admin.upload': '업로드', 'admin.builtin': '기본 음원', 'admin.custom': '업로드한 음원',
  'admin.login': '아이디', 'admin.password': '비밀번호', 'admin.role': '역할', 'admin.extension': '내선번호',
  'admin.sippassword': 'SIP 비밀번호', 'admin.phone': '전화 방식', 'admin.autoaccept': '자동 수락', 'admin.services_of': '서비스',
  'admin.groups_of': '그룹', 'admin.host': '호스트', 'admin.port': '포트', 'admin.allow': '허용 주소', 'admin.prefix': '접두 번호',
  'admin.username': '사용자', 'admin.number': '번호', 'admin.queue': '큐', 'admin.members': '상담원',
  'admin.status': '상태', 'admin.greeting': '인사말', 'admin.keep': '(변경하지 않으려면 비워 두세요)',
  'cid.requested': '등록 요청', 'cid.registered': '등록 완료', 'cid.rejected': '반려',
  'trunk.status': '상태', 'trunk.up': '정상', 'trunk.down': '장애', 'trunk.lastanswer': '마지막 응답', 'trunk.rtt': '응답 시간(ms)',
  'trunk.never': '없음',
  'role.agent': '상담원', 'role.manager': '매니저', 'role.admin': '관리자',
  'phonekind.sip': 'SIP 전화기', 'phonekind.browser': '브라우저 전화',
  'noanswer.break': '휴식', 'noanswer.ready': '대기',
  'err.required': '필수 항목입니다.', 'err.digits': '숫자만 입력하세요.', 'err.generic': '요청을 처리하지 못했습니다.',
  'err.offline': '서버와 연결이 끊겼습니다. 다시 연결하는 중…',
  'err.shutting_down': '서버가 종료 중이어서 로그인할 수 없습니다. 잠시 후 다시 시도해 주세요.',
}

const en = {
  'app.title': 'Ringdesk',
  'login.title': 'Log in', 'login.login': 'Login', 'login.password': 'Password', 'login.submit': 'Log in',
  'login.failed': 'Wrong login or password.',
  'login.throttled': 'Too many login attempts. Try again in {s} seconds.',
  'login.busy': 'Too many logins at once. Try again in a moment.',
  'nav.tickets': 'Tickets', 'nav.live': 'Live view', 'nav.admin': 'Administration', 'nav.logout': 'Log out',
  'nav.service': 'Service', 'nav.lang': '한국어',
  'state.logged_out': 'Logged out', 'state.default': 'Default', 'state.break': 'Break', 'state.ready': 'Ready',
  'state.work': 'Work', 'state.offered': 'Incoming', 'state.ringing': 'Connecting', 'state.dialing': 'Dialing',
  'state.on_call': 'On call', 'state.consulting': 'On call (transfer)', 'state.held': 'On hold', 'state.after_call': 'Call ended',
  'reason.training': 'Training', 'reason.report': 'Collection/report', 'reason.meeting': 'Meeting', 'reason.ticket': 'Ticket processing',
  'reason.chat': 'Chat processing', 'reason.coaching': 'Coaching/monitoring',
  'cti.login': 'CTI login', 'cti.logout': 'CTI logout', 'cti.break': 'Break', 'cti.ready': 'Ready', 'cti.work': 'Work',
  'cti.default': 'Default', 'cti.dial': 'Dial', 'cti.transfer': 'Transfer', 'cti.forced': 'Forced hang-up', 'cti.hold': 'Hold',
  'cti.unhold': 'Resume', 'cti.hangup': 'Hang up', 'cti.confirm': 'OK', 'cti.cancel': 'Cancel',
  'cti.consult': 'Consult', 'cti.connect': 'Connect customer',
  'phone.icon': 'Phone', 'phone.widget': 'Phone widget', 'phone.close': 'Close',
  'dial.title': 'Place a call', 'dial.number': 'Customer number', 'dial.callerid': 'Caller ID', 'dial.noids': 'No registered caller ID.',
  'offer.title': 'Incoming call', 'offer.body': 'A call is coming in. Once connected, the console moves to the ticket screen of {service}.',
  'offer.from': 'From', 'offer.recall': '{s} s until recall', 'offer.transfer': 'Transfer request from {agent}',
  'transfer.title': 'Transfer', 'transfer.direct': 'Type a number', 'transfer.favorites': 'Frequently used numbers',
  'transfer.ready': 'Ready agents', 'transfer.group': 'Choose a group', 'transfer.target': 'Phone/extension/queue number',
  'transfer.none': 'No agent is ready.', 'transfer.consulting': 'Consulting: {target}', 'transfer.dialing': 'Calling for consult: {target}',
  'forced.title': 'Forced hang-up', 'forced.body': 'On OK the announcement below plays to the customer, then the call ends.',
  'after.title': 'CTI state change', 'after.body': 'The call has ended. OK sets you Ready; Cancel sets you to Work (ticket processing).',
  'call.with': 'Talking with', 'call.ticket': 'Ticket #{id}', 'call.customerHeld': 'The customer has put the call on hold',
  'notice.restarted': 'The system restarted and logged you back in to CTI. Your state is Default.',
  'softphone.mic': 'The microphone cannot be used: {err}', 'softphone.nomic': 'This browser has no microphone. Connect one to take calls.',
  'softphone.ready': 'Browser phone ready', 'softphone.connecting': 'Browser phone connecting',
  'tickets.title': 'Tickets', 'tickets.status': 'Status', 'tickets.phone': 'Phone', 'tickets.assignee': 'Assignee',
  'tickets.search': 'Search', 'tickets.none': 'No tickets.', 'tickets.subject': 'Subject', 'tickets.created': 'Created',
  'tickets.more': 'More', 'tickets.all': 'All',
  'status.new': 'New', 'status.open': 'Open', 'status.pending': 'Pending', 'status.solved': 'Solved', 'status.closed': 'Closed',
  'ticket.save': 'Save', 'ticket.notes': 'Notes', 'ticket.addnote': 'Add note', 'ticket.calls': 'Calls',
  'ticket.earlier': 'Earlier tickets of this caller', 'ticket.saved': 'Saved.',
  'call.direction': 'Direction', 'call.from': 'From', 'call.to': 'To', 'call.callerid': 'Caller ID', 'call.queue': 'Queue',
  'call.agent': 'Agent', 'call.offered': 'Offered', 'call.answered': 'Answered', 'call.ended': 'Ended', 'call.talk': 'Talk (s)',
  'call.hold': 'Hold (s)', 'call.cause': 'Cause', 'call.by': 'Ended by', 'call.transfers': 'Transfers',
  'dir.inbound': 'Inbound', 'dir.outbound': 'Outbound', 'dir.internal': 'Internal',
  'live.title': 'Live view', 'live.agents': 'Agents', 'live.queues': 'Queues', 'live.state': 'State', 'live.time': 'Time in state',
  'live.waiting': 'Waiting calls', 'live.ready': 'Ready agents', 'live.registered': 'Phone', 'live.calls': 'Calls in progress',
  'admin.title': 'Administration', 'admin.services': 'Services', 'admin.cti': 'CTI', 'admin.agents': 'Agents',
  'admin.trunks': 'Trunks', 'admin.callerids': 'Caller IDs', 'admin.favorites': 'Favourites',
  'admin.groups': 'Groups', 'admin.queues': 'Queues', 'admin.numbers': 'Numbers', 'admin.audio': 'Hold audio / announcement',
  'admin.ctiinfo': 'CTI settings', 'admin.ctiagent': 'Agent CTI settings', 'admin.save': 'Save', 'admin.add': 'Add',
  'admin.remove': 'Remove', 'admin.up': 'Up', 'admin.down': 'Down', 'admin.approve': 'Approve',
  'admin.saved': 'Saved.', 'admin.id': 'ID', 'admin.name': 'Name', 'admin.ctiuse': 'Phone CTI',
  'admin.dialAllow': 'Numbers that may be called (one pattern a line)', 'admin.dialDeny': 'Numbers that may not be called (one pattern a line)',
  'admin.dialHint': 'Digits, x (any one digit), [1-9] (a range), and a trailing * (anything after). Left empty: domestic numbers only; international (00, +) and 060 are refused. Deny wins over allow.',
  'admin.use': 'On', 'admin.nouse': 'Off', 'admin.recall': 'Recall time (s)', 'admin.wrapup': 'Back to Ready after a call (s, 0 = off)', 'admin.noanswer': 'Agent state after no answer',
  'admin.announcement': 'Forced hang-up announcement', 'admin.holdaudio': 'Hold audio', 'admin.hangupaudio': 'Announcement audio',
  'admin.upload': 'Upload', 'admin.builtin': 'Built-in', 'admin.custom': 'Uploaded',
  'admin.login': 'Login', 'admin.password': 'Password', 'admin.role': 'Role', 'admin.extension': 'Extension',
  'admin.sippassword': 'SIP password', 'admin.phone': 'Phone', 'admin.autoaccept': 'Auto accept', 'admin.services_of': 'Services',
  'admin.groups_of': 'Groups', 'admin.host': 'Host', 'admin.port': 'Port', 'admin.allow': 'Allowed addresses', 'admin.prefix': 'Prefix',
  'admin.username': 'Username', 'admin.number': 'Number', 'admin.queue': 'Queue', 'admin.members': 'Members',
  'admin.status': 'Status', 'admin.greeting': 'Greeting', 'admin.keep': '(leave empty to keep)',
  'cid.requested': 'Requested', 'cid.registered': 'Registered', 'cid.rejected': 'Rejected',
  'trunk.status': 'Status', 'trunk.up': 'Up', 'trunk.down': 'Down', 'trunk.lastanswer': 'Last answer', 'trunk.rtt': 'Round trip (ms)',
  'trunk.never': 'never',
  'role.agent': 'Agent', 'role.manager': 'Manager', 'role.admin': 'Administrator',
  'phonekind.sip': 'SIP phone', 'phonekind.browser': 'Browser phone',
  'noanswer.break': 'Break', 'noanswer.ready': 'Ready',
  'err.required': 'Required.', 'err.digits': 'Digits only.', 'err.generic': 'The request failed.',
  'err.offline': 'Connection to the server lost. Reconnecting…',
  'err.shutting_down': 'The server is shutting down; logging in is not possible now. Try again in a moment.',
}

const tables = { ko, en }
let lang = localStorage.getItem('ringdesk.lang') || 'ko'

export function getLang() { return lang }

export function setLang(l) {
  lang = tables[l] ? l : 'ko'
  localStorage.setItem('ringdesk.lang', lang)
  document.documentElement.lang = lang
}

// t returns the label for key in the current language, with {name} placeholders filled.
// t words key in the console's language; fallback (e.g. the server's Korean message) is used
// when the catalogue has no entry.
export function t(key, vars = {}, fallback) {
  let s = tables[lang][key] ?? tables.ko[key] ?? fallback ?? key
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll('{' + k + '}', String(v))
  return s
}

// stateLabel is the widget's state text: 업무 carries its reason, as in 업무(회의).
export function stateLabel(state, reason) {
  const base = t('state.' + state)
  return state === 'work' && reason ? `${base}(${t('reason.' + reason)})` : base
}

setLang(lang)
