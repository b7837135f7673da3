#!/usr/bin/env bash
# Build quizapp's front-end assets from GOV.UK Frontend (unbranded).
#
# Output (committed, so running the app needs no Node):
#   quizapp/static/govuk/application.css     compiled from assets/scss/application.scss
#   quizapp/static/govuk/govuk-frontend.min.js   GOV.UK Frontend's ES module
#   quizapp/static/govuk/init.js             ES module that calls initAll()
#
# GOV.UK's fonts and images (GDS Transport, crown, crest, favicons) are
# deliberately NOT copied: this is not a GOV.UK service.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="$repo_root/quizapp/static/govuk"

cd "$repo_root/assets"
npm ci --no-audit --no-fund

mkdir -p "$out_dir"

npx --no-install sass \
  --no-source-map \
  --style=compressed \
  --quiet-deps \
  --load-path=node_modules \
  scss/application.scss "$out_dir/application.css"

cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$out_dir/govuk-frontend.min.js"

# Loaded with <script type="module" src=".../init.js">, so no inline script is
# needed (strict Content Security Policy). Module scripts only run in browsers
# GOV.UK Frontend supports, so this is also where the body gets the
# "govuk-frontend-supported" class that GOV.UK's template normally sets inline;
# without it initAll() does nothing.
cat > "$out_dir/init.js" <<'JS'
import { initAll } from './govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
JS

# Guard: no GOV.UK brand assets referenced from the built CSS.
if grep -Eiq 'GDS Transport|gds-transport|\.woff|govuk-crest|govuk-crown' "$out_dir/application.css"; then
  echo "build-assets: GOV.UK font or crown/crest reference found in application.css" >&2
  exit 1
fi

echo "build-assets: wrote $(cd "$repo_root" && ls quizapp/static/govuk/* | tr '\n' ' ')"
