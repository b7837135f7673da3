// Dashboards: a chart's table starts open (for anyone without JavaScript); with it, the
// table folds away under "Show the figures as a table" and the chart stands alone.
for (const details of document.querySelectorAll("details[data-app-close-with-script]")) {
  details.open = false;
}
