// Validates Kubernetes manifests (JSON arrays of documents, one a file
// named on the command line)
// against the API's schemas: kubernetes-models' validators (JSON Schema
// compiled from the OpenAPI of a current Kubernetes), and for the
// Prometheus Operator's kinds those of @kubernetes-models/
// prometheus-operator.  The validators accept fields they do not know,
// where the API server (strict field validation) refuses them: every
// object is handed to its validator behind a Proxy noting each property
// the validator looks at, and a property it never looked at, in an
// object whose keys it did not walk (a map), is an unknown field.
// Prints one line a problem; exits 1 if there was any.
import { readFileSync } from "node:fs";

const groups = {
	"monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

async function modelOf(apiVersion, kind) {
	const slash = apiVersion.indexOf("/");
	const group = slash < 0 ? "" : apiVersion.slice(0, slash);
	const pkg = groups[group] ?? "kubernetes-models";
	const mod = await import(`${pkg}/${apiVersion}/${kind}`);
	if (typeof mod[kind]?.prototype?.validate !== "function")
		throw new Error(`${apiVersion} ${kind}: no model`);
	return mod[kind];
}

// A copy of value behind Proxies; seen gets one record an object.
function watched(value, path, seen) {
	if (value === null || typeof value !== "object")
		return value;
	if (Array.isArray(value))
		return value.map((v, i) => watched(v, `${path}/${i}`, seen));
	const rec = { path, keys: Object.keys(value), read: new Set(), walked: false };
	seen.push(rec);
	const inner = {};
	for (const k of rec.keys)
		inner[k] = watched(value[k], `${path}/${k}`, seen);
	return new Proxy(inner, {
		get(t, k, r) {
			if (typeof k === "string")
				rec.read.add(k);
			return Reflect.get(t, k, r);
		},
		has(t, k) {
			if (typeof k === "string")
				rec.read.add(k);
			return Reflect.has(t, k);
		},
		ownKeys(t) {
			rec.walked = true;
			return Reflect.ownKeys(t);
		},
	});
}

async function check(doc) {
	const what = `${doc?.kind} ${doc?.metadata?.name}`;
	const problems = [];
	let Model;
	try {
		Model = await modelOf(doc.apiVersion, doc.kind);
	} catch (e) {
		return [`${what}: unknown kind (${doc?.apiVersion}): ${e.message}`];
	}
	const seen = [];
	try {
		Model.prototype.validate.call(watched(doc, "", seen));
	} catch (e) {
		problems.push(`${what}: ${e.message}`);
	}
	for (const r of seen) {
		if (r.walked)
			continue;
		for (const k of r.keys)
			if (!r.read.has(k))
				problems.push(`${what}: unknown field ${r.path}/${k}`);
	}
	return problems;
}

const docs = process.argv.slice(2).flatMap(
    (f) => JSON.parse(readFileSync(f, "utf8")));
let bad = 0;
for (const doc of docs) {
	for (const p of await check(doc)) {
		console.log(p);
		bad++;
	}
}
console.log(`${docs.length} manifests, ${bad} problems`);
process.exit(bad ? 1 : 0);
