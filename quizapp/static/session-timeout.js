// The warning before an idle sign-out: templates/_session_timeout.html, on every signed-in
// page; the server side is quizapp/session_timeout.py.
//
// The server ends a session after data-idle-seconds without a request. This opens the
// dialog data-warning-seconds before then. "Stay signed in" (or Escape) sends a request,
// which restarts the server's idle time. Typing or choosing answers in a form counts as
// using the service: at most once a minute it restarts the idle time too, so nobody is
// interrupted or signed out while they write. Tabs share the time of the latest request
// (localStorage), so a tab left open does not warn while another one is being used.
//
// When the time is up the dialog says so. On a question page its button sends the page's
// answer form: the server keeps the answer until the person signs in again and shows it
// back to them (quizapp/take/kept.py). Without JavaScript none of this runs and the
// dialog stays closed; the answer is kept the same way when the form is sent.

const dialog = document.getElementById('session-timeout')
if (dialog && typeof dialog.showModal === 'function') {
  watch(dialog)
}

function watch (dialog) {
  const idleMs = Number(dialog.dataset.idleSeconds) * 1000
  const warningMs = Number(dialog.dataset.warningSeconds) * 1000
  const typingMs = Math.min(60000, idleMs / 4)
  const STORE = 'quizapp-last-request'
  const parts = {
    warning: dialog.querySelector('[data-timeout-state="warning"]'),
    signedOut: dialog.querySelector('[data-timeout-state="signed-out"]')
  }
  const countdown = dialog.querySelector('[data-timeout-countdown]')
  const clock = dialog.querySelector('[data-timeout-clock]')
  const error = dialog.querySelector('[data-timeout-error]')
  const status = document.querySelector('[data-timeout-status]')
  const token = dialog.querySelector('input[name="csrf_token"]').value
  // When the server last counted a request for the idle time: when this page was asked
  // for, less data-seen-ago-seconds (the server moves its last-seen time on at most once
  // a minute; "Stay signed in" moves it at once). No later than the server's own time.
  let lastRequest = performance.timeOrigin - Number(dialog.dataset.seenAgoSeconds || 0) * 1000
  let state = 'active' // or 'warning', 'signed-out'
  let returnFocus = null
  let sending = false

  share(lastRequest)

  function shared () {
    try {
      return Number(window.localStorage.getItem(STORE)) || 0
    } catch {
      return 0 // storage switched off: each tab keeps its own time
    }
  }

  function share (time) {
    try {
      if (time > shared()) window.localStorage.setItem(STORE, String(time))
    } catch {}
  }

  function latest () {
    return Math.max(lastRequest, shared())
  }

  function tick () {
    if (state === 'signed-out') return
    const left = latest() + idleMs - Date.now()
    if (left <= 0) {
      showSignedOut()
    } else if (left <= warningMs) {
      showWarning(left)
    } else if (state === 'warning') {
      close() // another tab was used meanwhile
    }
  }

  function showWarning (left) {
    countdown.textContent = inWords(left)
    clock.textContent = clockTime(new Date(latest() + idleMs))
    if (state === 'warning') return
    state = 'warning'
    error.replaceChildren()
    open(parts.warning, 'session-timeout-heading', 'session-timeout-message')
  }

  function showSignedOut () {
    state = 'signed-out'
    open(parts.signedOut, 'session-timeout-signed-out-heading', 'session-timeout-signed-out-message')
  }

  function open (part, heading, message) {
    for (const each of Object.values(parts)) each.hidden = each !== part
    dialog.setAttribute('aria-labelledby', heading)
    dialog.setAttribute('aria-describedby', message)
    if (!dialog.open) {
      returnFocus = document.activeElement
      dialog.showModal()
    }
    // The heading, not a button: someone typing when it opens must not press one.
    document.getElementById(heading).focus()
  }

  function close () {
    state = 'active'
    if (dialog.open) dialog.close()
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus()
    returnFocus = null
  }

  // 'ok', 'signed-out' (the server had already ended the session) or 'failed'.
  async function keepAlive () {
    if (sending) return 'busy'
    sending = true
    const sentAt = Date.now()
    try {
      const response = await fetch(dialog.dataset.keepAliveUrl, {
        method: 'POST',
        body: new URLSearchParams({ csrf_token: token }),
        credentials: 'same-origin',
        redirect: 'manual',
        cache: 'no-store'
      })
      if (response.status === 204) {
        lastRequest = sentAt
        share(sentAt)
        return 'ok'
      }
      // Signed out: the server sends people to the sign-in page.
      return response.type === 'opaqueredirect' ? 'signed-out' : 'failed'
    } catch {
      return 'failed'
    } finally {
      sending = false
    }
  }

  async function stay () {
    const result = await keepAlive()
    if (result === 'ok') {
      close()
      // After the dialog has gone, so that it is read out with the page behind it.
      window.setTimeout(() => { status.textContent = 'You’re still signed in.' }, 250)
      window.setTimeout(() => { status.textContent = '' }, 5000)
    } else if (result === 'signed-out') {
      showSignedOut()
    } else if (result === 'failed') {
      if (!dialog.open) open(parts.warning, 'session-timeout-heading', 'session-timeout-message')
      const text = document.createElement('p')
      const prefix = document.createElement('span')
      text.className = 'govuk-error-message'
      prefix.className = 'govuk-visually-hidden'
      prefix.textContent = 'Error:'
      text.append(prefix, ' We could not keep you signed in. Check your connection and try again.')
      error.replaceChildren(text)
    }
  }

  dialog.querySelector('[data-timeout-stay]').addEventListener('click', stay)

  dialog.addEventListener('cancel', (event) => {
    // Escape while warned means "I am here": stay signed in. Once signed out, Escape
    // closes the dialog and leaves the page as it was.
    if (state === 'warning') {
      event.preventDefault()
      stay()
    }
  })

  dialog.addEventListener('close', () => {
    // Closed by the browser while warned (it may ignore preventDefault on Escape).
    if (state === 'warning') stay()
  })

  // Signed out: back to the page as it was (to copy something, or send the answer).
  dialog.querySelector('[data-timeout-close]').addEventListener('click', () => {
    dialog.close()
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus()
  })

  const keep = dialog.querySelector('[data-timeout-keep-answer]')
  if (keep) {
    keep.addEventListener('click', () => {
      const form = document.querySelector('form[data-keeps-answer]')
      if (form) form.submit()
    })
  }

  document.addEventListener('input', (event) => {
    if (state !== 'active' || dialog.contains(event.target)) return
    if (Date.now() - latest() < typingMs) return
    keepAlive().then((result) => {
      if (result === 'signed-out') showSignedOut()
    })
  })

  document.addEventListener('visibilitychange', tick)
  window.setInterval(tick, 1000)
}

function inWords (milliseconds) {
  const seconds = Math.ceil(milliseconds / 1000)
  if (seconds >= 60) {
    const minutes = Math.floor(seconds / 60) // never more time than there is
    return minutes === 1 ? '1 minute' : `${minutes} minutes`
  }
  return seconds === 1 ? '1 second' : `${seconds} seconds`
}

// GOV.UK style: 3:05pm, midday, midnight.
function clockTime (date) {
  const hours = date.getHours()
  const minutes = date.getMinutes()
  if (minutes === 0 && hours === 12) return 'midday'
  if (minutes === 0 && hours === 0) return 'midnight'
  return `${hours % 12 || 12}:${String(minutes).padStart(2, '0')}${hours < 12 ? 'am' : 'pm'}`
}
