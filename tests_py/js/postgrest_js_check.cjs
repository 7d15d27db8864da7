// Drives a live `pgwarden rest` with @supabase/postgrest-js and prints one JSON line per check:
// {"name": …, "ok": true|false, "got": …}. tests_py/test_rest_postgrest_js.py asserts them all.
// Usage: node postgrest_js_check.cjs <base url> <user JWT>
const { PostgrestClient } = require("@supabase/postgrest-js");

const [base, token] = process.argv.slice(2);
const anon = new PostgrestClient(base, { schema: "test_api" });
const user = new PostgrestClient(base, {
  schema: "test_api",
  headers: { Authorization: `Bearer ${token}` },
});
const results = [];
const check = (name, ok, got) => results.push({ name, ok: Boolean(ok), got });
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function main() {
  let r = await anon
    .from("books")
    .select("id,title,authors(name)")
    .gte("pages", 250)
    .in("author_id", [1, 2])
    .order("id", { ascending: false });
  check("select with filters, embed and order", r.status === 200 && same(r.data.map((b) => b.id), [5, 2, 1]) && r.data[2].authors.name === "Ursula K. Le Guin", r);

  r = await user.from("items").insert({ id: 4000, name: "js" }).select();
  check("insert", r.status === 201 && same(r.data.map((i) => i.name), ["js"]), r);

  r = await user.from("items").upsert({ id: 4000, name: "js upserted" }).select("id,name");
  check("upsert (merge, an update)", r.status === 200 && same(r.data, [{ id: 4000, name: "js upserted" }]), r);

  r = await user.from("items").upsert([{ id: 4001, name: "new" }]).select("id,name");
  check("upsert (an insert)", r.status === 201 && same(r.data, [{ id: 4001, name: "new" }]), r);

  r = await user.from("items").update({ qty: 7 }).in("id", [4000, 4001]).select("id,qty").order("id");
  check("update", r.status === 200 && same(r.data, [{ id: 4000, qty: 7 }, { id: 4001, qty: 7 }]), r);

  r = await user.from("items").delete().eq("id", 4001).select("id");
  check("delete", r.status === 200 && same(r.data, [{ id: 4001 }]), r);

  r = await anon.rpc("add", { a: 40, b: 2 });
  check("rpc (POST)", r.status === 200 && r.data === 42, r);

  r = await anon.rpc("books_by", { author: 2 }, { get: true }).select("id").order("id");
  check("rpc (GET, set-returning, filtered)", r.status === 200 && same(r.data, [{ id: 3 }, { id: 5 }]), r);

  r = await anon.from("books").select("id", { count: "exact" }).lte("id", 3).limit(2);
  check("count exact", r.status === 206 && r.count === 3 && r.data.length === 2, r);

  r = await anon.from("books").select("id", { count: "exact", head: true });
  check("count exact, head", r.status === 200 && r.count === 6 && r.data === null, r);

  r = await anon.from("authors").select("name").eq("id", 2).single();
  check("single", r.status === 200 && same(r.data, { name: "Stanisław Lem" }), r);

  r = await anon.from("authors").select("name").eq("id", 999).single();
  check("single, no row", r.status === 406 && r.error && r.error.code === "PGRST116", r);

  r = await anon.from("authors").select("name").eq("id", 999).maybeSingle();
  check("maybeSingle, no row", r.status === 200 && r.data === null && r.error === null, r);

  r = await anon.from("authors").select("name").eq("id", 3).maybeSingle();
  check("maybeSingle, one row", same(r.data, { name: "Octavia Butler" }), r);

  r = await anon.from("authors").select("id,country").lte("id", 2).order("id").csv();
  check("csv", r.status === 200 && r.data === "id,country\n1,US\n2,PL", r);

  r = await anon.from("secrets").delete().eq("id", 1);
  check("refused write is a typed error", r.status === 401 && r.error.code === "42501", r);

  for (const line of results) console.log(JSON.stringify(line));
}

main().catch((error) => {
  console.log(JSON.stringify({ name: "script", ok: false, got: String(error && error.stack) }));
  process.exit(1);
});
