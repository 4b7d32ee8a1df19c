#!/usr/bin/env bash
# The README's tour, run as written against a demo hub started from scratch (tests/run.sh runs it with
# the other interop checks). Each step is the README's command with the values the earlier steps found;
# each checks what the README says the reader will see. If the README changes, change this with it.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=$(mktemp -d "${TMPDIR:-/tmp}/sharinghub-tour.XXXXXX")
BASE=$(interop/run-hub.sh "$data" --demo)
trap 'kill "$(cat "$data/hub.pid")" 2>/dev/null || true; rm -rf "$data"' EXIT

fail() { echo "tour: $*" >&2; exit 1; }
# Reads all of its input before it answers: `curl ... | grep -q` under pipefail fails at random when grep stops reading
# at the first match and curl (or the CLI) is still writing (SIGPIPE, curl exit 23).
contains() { local input; input=$(cat); grep -q -- "$1" <<<"$input"; }
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }
token() { curl -s -d "username=$1" "$BASE/dev-idp/token" | json 'd["access_token"]'; }

# Is it up?
[ "$(curl -s "$BASE/health" | json 'd["status"]')" = healthy ] || fail "health is not healthy"

# Work in the pages: a police member signs in at the development identity provider (as a browser would: the
# authorization code flow with its state cookie) and finds their cases; the IG officer finds the audit trail.
page() {
  python3 - "$BASE" "$1" "$2" "$3" <<'PY'
import sys, re, html, urllib.request, urllib.parse, urllib.error, http.cookiejar
base, agency, user, path = sys.argv[1:5]
jar = http.cookiejar.CookieJar()
class Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k): return None
web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), Stay)
def go(url, data=None):
    try: r = web.open(urllib.request.Request(url, data=data))
    except urllib.error.HTTPError as e: r = e
    return r.status, r.headers.get("Location"), r.read().decode()
_, authorize, _ = go(f"{base}/signin?agency={agency}")
_, _, chooser = go(authorize)
fields = {k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', chooser)}
fields["user"] = user
_, callback, _ = go(authorize.split("?")[0], urllib.parse.urlencode(fields).encode())
go(callback)
status, _, body = go(base + path)
print(status); print(body)
PY
}
cases=$(page police demo-police-officer /work/cases)
[ "$(echo "$cases" | head -1)" = 200 ] || fail "Your cases did not open for the police member"
echo "$cases" | contains 'Open cases you lead or are a member of' || fail "Your cases lists no case for the police member"
trail=$(page la demo-la-ig /work/audit-review/audit)
[ "$(echo "$trail" | head -1)" = 200 ] && echo "$trail" | contains 'data-testid="audit-entry"' || fail "the IG officer's audit trail shows no entries"

# Get a token as a demo user
TOKEN=$(token demo-police-officer)
[ "$(curl -s -H "Authorization: Bearer $TOKEN" "$BASE/me" | json 'd["agency"]')" = police ] || fail "/me does not say police"

# Read a child's chronology (FHIR): /me lists the enquiries, with their subjects
TOKEN=$(token demo-la-lcpp)
me=$(curl -s -H "Authorization: Bearer $TOKEN" "$BASE/me")
ENQUIRY=$(echo "$me" | json 'd["enquiries"][0]["id"]')
CHILD=$(echo "$me" | json '[s["person"] for s in d["enquiries"][0]["subjects"] if s["role"]=="child"][0]')
bundle=$(curl -s -H "Authorization: Bearer $TOKEN" -H "X-Purpose-Of-Use: s47-enquiry" -H "X-Enquiry-Id: $ENQUIRY" \
    "$BASE/fhir/Patient/$CHILD/\$chronology?from=2026-01&significance=high,critical")
[ "$(echo "$bundle" | json 'd["resourceType"]+"/"+d["type"]')" = Bundle/searchset ] || fail "the chronology is not a searchset Bundle"
echo "$bundle" | json 'all(t["system"] in ("urn:sharinghub:agency","urn:sharinghub:organisation","urn:sharinghub:data-class") for e in d.get("entry",[]) for t in e["resource"]["meta"]["tag"])' | contains True \
  || fail "chronology entries are not tagged with agency, organisation and data class"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/fhir/Patient/$CHILD/\$chronology")
[ "$status" = 400 ] || fail "a chronology without a purpose answered $status, not 400"
curl -s -H "Authorization: Bearer $TOKEN" -H "X-Purpose-Of-Use: s47-enquiry" "$BASE/fhir/Patient/$CHILD/\$chronology" | contains 'X-Enquiry-Id' \
  || fail "an enquiry purpose without X-Enquiry-Id does not name the header"

# See what the policy does: the mother's record and chronology as each member (the README's loop, with its
# printed line checked per member)
MOTHER=$(echo "$me" | json '[s["person"] for s in d["enquiries"][0]["subjects"] if s["role"]=="household"][0]')
seen() {
  local T
  T=$(token "$1")
  curl -s -H "Authorization: Bearer $T" -H "X-Purpose-Of-Use: s47-enquiry" -H "X-Enquiry-Id: $ENQUIRY" "$BASE/fhir/Patient/$MOTHER" \
    | python3 -c 'import sys,json;d=json.load(sys.stdin);print("address:", "address" in d)'
  curl -s -H "Authorization: Bearer $T" -H "X-Purpose-Of-Use: s47-enquiry" -H "X-Enquiry-Id: $ENQUIRY" "$BASE/fhir/Patient/$MOTHER/\$chronology" \
    | python3 -c 'import sys,json;r=[e["resource"] for e in json.load(sys.stdin).get("entry",[])];tag=lambda x,c:any(t["code"]==c for t in x["meta"]["tag"]+x["meta"].get("security",[]))
print("intelligence", sum(tag(x,"police.intelligence") for x in r), "detail", sum(tag(x,"police.intelligence") and "note" in x for x in r),
      "redacted", sum(tag(x,"REDACTED") for x in r), "erased", sum(tag(x,"erased-record") for x in r))'
}
expect() { echo "$2" | python3 -c "import sys,re; t=sys.stdin.read(); n=lambda k: int(re.search(k+r' (\d+)', t).group(1)); sys.exit(0 if ($3) else 1)" || fail "$1 saw: $(echo "$2" | tr '\n' ' ')"; }
lcpp=$(seen demo-la-lcpp); police=$(seen demo-police-officer); health=$(seen demo-health-practitioner); education=$(seen demo-education-lead)
expect lcpp "$lcpp" '"address: True" in t and n("intelligence") > 0 and n("detail") == 0 and n("redacted") > 0 and n("erased") > 0'
expect police "$police" '"address: False" in t and n("intelligence") > 0 and n("detail") == n("intelligence") and n("erased") > 0'
expect health "$health" '"address: False" in t and n("intelligence") == 0 and n("redacted") == 0 and n("erased") > 0'
expect education "$education" '"address: False" in t and n("intelligence") == 0 and n("redacted") > 0 and n("erased") > 0'

# Search: the child's own record gives the name and birth date to find every agency's record of them
patient=$(curl -s -H "Authorization: Bearer $TOKEN" -H "X-Purpose-Of-Use: s47-enquiry" -H "X-Enquiry-Id: $ENQUIRY" "$BASE/fhir/Patient/$CHILD")
FAMILY=$(echo "$patient" | json 'd["name"][0]["family"]')
BIRTH=$(echo "$patient" | json 'd["birthDate"]')
found=$(curl -s -G -H "Authorization: Bearer $TOKEN" -H "X-Purpose-Of-Use: s47-enquiry" -H "X-Enquiry-Id: $ENQUIRY" "$BASE/fhir/Patient" \
    --data-urlencode "family=$FAMILY" --data-urlencode "birthdate=$BIRTH")
[ "$(echo "$found" | json 'd["total"]')" -ge 1 ] || fail "search by family name and birth date found nobody"

# Query the same records in OData
odata=$(curl -s -G -H "Authorization: Bearer $TOKEN" -H "X-Purpose-Of-Use: s47-enquiry" -H "X-Enquiry-Id: $ENQUIRY" \
    "$BASE/odata/People($CHILD)/SharingHub.chronology()" \
    --data-urlencode "\$filter=occurredAt ge 2026-01-01T00:00:00Z and significance in ('high','critical')" \
    --data-urlencode '$orderby=occurredAt desc' --data-urlencode '$top=20' --data-urlencode '$count=true' \
    --data-urlencode '$expand=subjects($select=givenName,familyName)')
echo "$odata" | json '"@odata.count" in d and "value" in d' | contains True || fail "the OData chronology has no count or value"

# An IG officer's audit query: who read this child's records, under which purpose
IG=$(token demo-la-ig)
audit=$(curl -s -G -H "Authorization: Bearer $IG" -H "X-Purpose-Of-Use: audit-review" "$BASE/odata/AuditEntries" \
    --data-urlencode "\$filter=contains(subjects,'$CHILD')" \
    --data-urlencode '$orderby=sequence desc' --data-urlencode '$select=sequence,recordedAt,agency,actor,purpose,enquiryId,action,outcome')
echo "$audit" | json 'any(e["actor"]=="demo-la-lcpp" and e["purpose"]=="s47-enquiry" for e in d["value"])' | contains True \
  || fail "the IG officer does not see the LCPP's reads of the child"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H "X-Purpose-Of-Use: family-help" "$BASE/odata/AuditEntries")
[ "$status" = 403 ] || fail "a practitioner reading the audit answered $status, not 403"

# The data team reviews what linkage could not decide: every pair with its evidence, never a name
DT=$(token demo-la-data-team)
reviews=$(curl -s -H "Authorization: Bearer $DT" "$BASE/linkage/reviews")
echo "$reviews" | json 'all("evidence" in p and len(p["records"])==2 for p in d["pairs"])' | contains True || fail "the review list is not pairs with evidence: $reviews"
pairs=$(curl -s -H "Authorization: Bearer $DT" "$BASE/linkage/pairs?person=$CHILD")
echo "$pairs" | json 'any(p["state"]=="linked" and len(p["evidence"])>0 for p in d["pairs"])' | contains True || fail "the child's records have no stored link with evidence"
if echo "$pairs$reviews" | contains "$FAMILY"; then fail "a pair shows a family name"; fi
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/linkage/reviews")
[ "$status" = 403 ] || fail "a practitioner listing linkage reviews answered $status, not 403"

# Brokered sharing: the hub answers the MAIS person-info-query (a person names their enquiry)
answer=$(curl -s -X POST -H "Authorization: Bearer $TOKEN" -H "X-Enquiry-Id: $ENQUIRY" -H "Content-Type: application/fhir+json" \
    "$BASE/fhir/Patient/\$person-info-query" -d "{
  \"resourceType\": \"Parameters\", \"parameter\": [
    {\"name\": \"resource\", \"resource\": {\"resourceType\": \"Patient\", \"name\": [{\"family\": \"$FAMILY\"}], \"birthDate\": \"$BIRTH\"}},
    {\"name\": \"reason\", \"valueUri\": \"https://www.legislation.gov.uk/ukpga/1989/41/section/47\"}]}")
[ "$(echo "$answer" | json 'd["resourceType"]')" = Parameters ] || fail "the person-info-query did not answer Parameters: $answer"

# Refer a child to the Integrated Front Door: an agency refers the child as it records them (here health: the
# first demo child is not known to police); the front door lists its worklist, reads the child's records for that
# referral (and without naming one is refused), and decides
REFERRED_RECORD=$(echo "$found" | json '[e["resource"]["id"] for e in d.get("entry",[]) if any(t["code"]=="health" for t in e["resource"]["meta"]["tag"])][0]')
REFERRER=$(token demo-health-practitioner)
referred=$(curl -s -D - -o /dev/null -X POST -H "Authorization: Bearer $REFERRER" -H "Content-Type: application/fhir+json" "$BASE/fhir/Task" -d '{"resourceType":"Task",
  "status":"requested","intent":"order","code":{"coding":[{"system":"urn:sharinghub:task","code":"referral"}]},
  "for":{"reference":"Patient/'"$REFERRED_RECORD"'"},"description":"Child disclosed being hit at home"}')
ID=$(echo "$referred" | tr -d '\r' | sed -n 's|^[Ll]ocation: .*/Task/\([^/]*\)/.*|\1|p')
[ -n "$ID" ] || fail "the referral was not created: $referred"
FRONT=$(token demo-la-front-door)
curl -s -H "Authorization: Bearer $FRONT" -H "X-Purpose-Of-Use: front-door-triage" "$BASE/fhir/Task?_id=$ID&code=referral&status=requested" \
  | json "any(e['resource']['id']=='$ID' for e in d.get('entry',[]))" | contains True || fail "the front door's worklist does not list the referral"
triaged=$(curl -s -H "Authorization: Bearer $FRONT" -H "X-Purpose-Of-Use: front-door-triage" -H "X-Referral-Id: $ID" "$BASE/fhir/Patient/$REFERRED_RECORD/\$chronology")
[ "$(echo "$triaged" | json 'd["resourceType"]')" = Bundle ] || fail "the front door could not read the referred child's chronology: $triaged"
browse=$(curl -s -w ' %{http_code}' -H "Authorization: Bearer $FRONT" -H "X-Purpose-Of-Use: front-door-triage" "$BASE/odata/People")
case "$browse" in *X-Referral-Id*400) ;; *) fail "the front door listed people without naming a referral: ${browse:0:200}";; esac
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $FRONT" -H "X-Purpose-Of-Use: front-door-triage" -H "Content-Type: application/fhir+json" \
    "$BASE/fhir/Task/$ID/\$decide" -d '{"resourceType":"Parameters","parameter":[{"name":"decision","valueCode":"section47Enquiry"}]}')
[ "$status" = 200 ] || fail "deciding the referral answered $status"

# Run a section 47 enquiry: its members, each with the id that removing them takes
enquiry=$(curl -s -H "Authorization: Bearer $TOKEN" -H "X-Purpose-Of-Use: s47-enquiry" -H "X-Enquiry-Id: $ENQUIRY" "$BASE/enquiries/$ENQUIRY")
echo "$enquiry" | json 'all("id" in m for m in d["members"]) and d["lead"]=="demo-la-lcpp"' | contains True || fail "the enquiry does not list its members with ids"

# Statistics for managers and the DfE's returns: the council's analyst reads this month's measures as counts and
# shares, small numbers suppressed, and the statistics purpose opens no record
ANALYST=$(token demo-la-analyst)
measures=$(curl -s -H "Authorization: Bearer $ANALYST" -H "X-Purpose-Of-Use: statistics" "$BASE/statistics/measures?period=$(date -u +%Y-%m)")
echo "$measures" | json 'd["suppressedBelow"]==5 and any(r["measure"]=="referrals-received" and r["breakdown"]=="total" for r in d["rows"]) and all(r["count"] in (None, 0) or r["count"]>=5 for r in d["rows"])' \
  | contains True || fail "the analyst's measures are missing or show a number under 5"
curl -s -H "Authorization: Bearer $ANALYST" -H "X-Purpose-Of-Use: statistics" "$BASE/statistics/measures.csv?period=$(date -u +%Y)" | sed -n 1p \
  | contains '^period,area,measure,unit,breakdown,category,count,denominator,percent,median,suppressed' || fail "the measures' CSV has no header"
[ "$(curl -s -H "Authorization: Bearer $ANALYST" "$BASE/statistics/odata/Measures?\$filter=Grain%20eq%20'quarter'%20and%20Breakdown%20eq%20'total'&\$top=2" \
   | json 'len(d["value"])')" = 2 ] || fail "the statistics feed did not answer its filter"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ANALYST" -H "X-Purpose-Of-Use: statistics" "$BASE/fhir/Patient/$CHILD")" = 403 ] \
  || fail "the statistics purpose opened a child's record"

# The Children in Need census return: the council's returns officer exports the census year's children from the
# council's own records (no name), and the census purpose opens nothing but the export
RETURNS=$(token demo-la-returns)
census_year=$(python3 -c 'import datetime; t=datetime.date.today(); y=t.year if t.month>=4 else t.year-1; print(f"{y}-{(y+1)%100:02d}")')
curl -s -H "Authorization: Bearer $RETURNS" -H "X-Purpose-Of-Use: cin-census" "$BASE/statistics/census/children-in-need?year=$census_year" \
  | json 'd["year"]=="'"$census_year"'" and d["children"]>0 and any(f["element"]=="Ethnicity" and f["filled"]=="never" for f in d["fields"])' | contains True \
  || fail "the census summary is missing, empty or does not say what it cannot fill"
curl -s -H "Authorization: Bearer $RETURNS" -H "X-Purpose-Of-Use: cin-census" "$BASE/statistics/census/children-in-need.xml?year=$census_year" \
  | contains '<Collection>CIN</Collection>' || fail "the census XML has no CIN header"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $RETURNS" -H "X-Purpose-Of-Use: cin-census" "$BASE/fhir/Patient/$CHILD")" = 403 ] \
  || fail "the census purpose opened a child's record outside the export"

# Every request and answer outside FHIR and OData is described in OpenAPI 3.1
curl -s "$BASE/openapi/hub.json" | json 'd["openapi"].startswith("3.1") and "/enquiries/{id}/strategy-meetings" in d["paths"]' | contains True \
  || fail "the OpenAPI document is not served or lacks the strategy meetings"

# Read and verify the audit log offline, with the public key as the hub publishes it and, once the hub has
# signed one (every 1,000 entries or 60 seconds), a checkpoint kept elsewhere
curl -s "$BASE/audit/public-key" > "$data/audit-key.json"
kept=()
if [ "$(curl -s -o "$data/checkpoint.json" -w '%{http_code}' -H "Authorization: Bearer $IG" "$BASE/audit/checkpoint")" = 200 ]; then
  kept=(--checkpoint "$data/checkpoint.json")
fi
dotnet src/SharingHub.Cli/bin/Release/net10.0/sharinghub.dll audit verify \
    --connection "Data Source=$data/hub.db" --key-ring "$data/keyring.json" --public-key "$data/audit-key.json" "${kept[@]}" \
    | contains '^intact' || fail "audit verify did not find the log intact"
dotnet src/SharingHub.Cli/bin/Release/net10.0/sharinghub.dll audit verify --log-only \
    --connection "Data Source=$data/hub.db" --key-ring "$data/keyring.json" --public-key "$data/audit-key.json" "${kept[@]}" \
    | contains '^intact: .*(log only: columns not checked)' || fail "audit verify --log-only did not find the log intact"
# ... and away from the hub, from an export (each line carries the bytes its hash covers)
dotnet src/SharingHub.Cli/bin/Release/net10.0/sharinghub.dll audit export --out "$data/audit.ndjson" \
    --connection "Data Source=$data/hub.db" --key-ring "$data/keyring.json" >/dev/null || fail "audit export failed"
grep -q '"Canonical":"' "$data/audit.ndjson" || fail "the audit export does not carry the entries' stored bytes"
dotnet src/SharingHub.Cli/bin/Release/net10.0/sharinghub.dll audit verify --export "$data/audit.ndjson" \
    --connection "Data Source=$data/hub.db" --key-ring "$data/keyring.json" --public-key "$data/audit-key.json" "${kept[@]}" \
    | contains '^intact' || fail "the exported audit log did not verify away from the hub"

# Back up the running hub (its key files to a separate folder) and restore both on a fresh machine folder, from
# which the restore's defaults (data/sharinghub.db, data/keyring.json) are the new hub's
cli=$PWD/src/SharingHub.Cli/bin/Release/net10.0/sharinghub.dll
SharingHub__Audit__SigningKeyPath="$data/audit-signing-keys.json" SharingHub__Identity__SigningKeyPath="$data/signing-keys.json" \
  dotnet "$cli" backup --connection "Data Source=$data/hub.db" --key-ring "$data/keyring.json" \
    --out "$data/backups/today" --key-ring-out "$data/keys-media/today" | contains '^backed up Sqlite database' || fail "backup did not back up the running hub"
mkdir "$data/fresh-machine"
(cd "$data/fresh-machine" && dotnet "$cli" restore --from "$data/backups/today" --key-ring-from "$data/keys-media/today" "${kept[@]}") \
  | contains 'the hub can start on it' || fail "restore did not restore and verify the backup"
[ -s "$data/fresh-machine/data/sharinghub.db" ] && [ -s "$data/fresh-machine/data/keyring.json" ] || fail "restore left no database or key ring in data/"

echo "ok: the README tour ran as written against a demo hub ($BASE): pages, health, tokens, chronology, what each member sees, search, OData, IG audit, linkage review, MAIS, front-door referral, enquiry, statistics, the CIN census, OpenAPI, audit verify, backup and restore"
