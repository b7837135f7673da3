// A result's summary links to each question's feedback, which is in a closed details
// component: open it when its question is the link's target. Without JavaScript the link
// still leads to the question's heading, just above its "Feedback on question N".
function openTargetFeedback () {
  const target = window.location.hash && document.getElementById(window.location.hash.slice(1))
  const details = target && target.closest('.app-question-result')?.querySelector('details')
  if (details) details.open = true
}
window.addEventListener('hashchange', openTargetFeedback)
openTargetFeedback()
