// Interop check: @odata/client (npm), an OData client the hub's authors did not write, against a running hub.
// 1. reads $metadata (CSDL XML) and finds the Event type, its properties and the chronology function;
// 2. signs in as the demo LCPP and finds an open enquiry and its child (/me);
// 3. runs a filtered, ordered chronology query page by page ($filter, $orderby, $top, $skip, $count)
//    and checks the pages join up to the same answer as one larger query, in order, each event in range.
// Prints "ok: ..." and exits 0, or says what failed and exits 1.
import { OData, EdmV4 } from "@odata/client";
import { XMLParser } from "fast-xml-parser";

const [, , hub] = process.argv;
const fail = (message) => { console.error(`fail: ${message}`); process.exit(1); };
const asArray = (x) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

const metadataResponse = await fetch(`${hub}/odata/$metadata`);
if (!metadataResponse.ok) fail(`$metadata answered ${metadataResponse.status}`);
const csdl = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(await metadataResponse.text());
const schema = csdl["edmx:Edmx"]["edmx:DataServices"].Schema;
const eventType = asArray(schema.EntityType).find((t) => t.Name === "Event");
if (!eventType) fail("$metadata has no Event entity type");
const properties = Object.fromEntries(asArray(eventType.Property).map((p) => [p.Name, p.Type]));
for (const [name, type] of [["occurredAt", "Edm.DateTimeOffset"], ["category", "Edm.String"], ["significance", "SharingHub.Significance"]]) {
  if (properties[name] !== type) fail(`Event.${name} is ${properties[name]}, expected ${type}`);
}
const chronology = asArray(schema.Function).find((f) => f.Name === "chronology");
if (!chronology || chronology.IsBound !== "true") fail("$metadata has no bound chronology function");
const sets = asArray(schema.EntityContainer.EntitySet).map((s) => s.Name);
if (!sets.includes("Events") || !sets.includes("People")) fail(`entity sets are ${sets.join(", ")}`);

const token = (await (await fetch(`${hub}/dev-idp/token`, { method: "POST", body: new URLSearchParams({ username: "demo-la-lcpp" }) })).json()).access_token;
const me = await (await fetch(`${hub}/me`, { headers: { Authorization: `Bearer ${token}` } })).json();
const enquiry = me.enquiries?.[0];
if (!enquiry) fail("the demo LCPP has no open enquiry");
const child = enquiry.subjects.find((s) => s.role === "child")?.person ?? enquiry.subjects[0].person;

const client = OData.New4({
  serviceEndpoint: `${hub}/odata/`,
  commonHeaders: { Authorization: `Bearer ${token}`, "X-Purpose-Of-Use": "s47-enquiry", "X-Enquiry-Id": enquiry.id },
});
const collection = `People(${child})/SharingHub.chronology()`;
const since = "2024-01-01T00:00:00Z";
const query = (top, skip) => {
  const params = client.newParam()
    .filter(client.newFilter().property("occurredAt").ge(EdmV4.DateTimeOffset.from(new Date(since))))
    .orderby("occurredAt", "desc")
    .top(top)
    .count(true);
  return client.newRequest({ collection, params: skip ? params.skip(skip) : params });
};

const whole = await query(60, 0);
if (whole.error) fail(`query answered an error: ${JSON.stringify(whole.error)}`);
const total = whole["@odata.count"];
if (!Number.isInteger(total) || total < 3) fail(`expected a count of at least 3 events, got ${total}`);
const all = whole.value;
const paged = [];
for (let skip = 0; skip < Math.min(total, 60); skip += 5) {
  const page = await query(5, skip);
  if (page.error) fail(`page at ${skip} answered an error: ${JSON.stringify(page.error)}`);
  if (page["@odata.count"] !== total) fail(`page at ${skip} counts ${page["@odata.count"]}, the whole query ${total}`);
  paged.push(...page.value);
}
if (paged.map((e) => e.id).join() !== all.map((e) => e.id).join()) fail("the pages do not join up to the whole answer");
for (let i = 0; i < all.length; i++) {
  if (all[i].occurredAt < since) fail(`${all[i].id} is before ${since}`);
  if (i > 0 && all[i].occurredAt > all[i - 1].occurredAt) fail("the events are not in descending date order");
}
const agencies = [...new Set(all.map((e) => e.owningAgency))];
if (agencies.length < 2) fail(`the chronology holds one agency's events only (${agencies})`);
console.log(`ok: $metadata read (${sets.length} entity sets); chronology of ${child}: ${total} events from ${agencies.join(", ")}, ${Math.ceil(all.length / 5)} pages of 5 join up in date order`);
