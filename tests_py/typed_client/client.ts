// A typed PostgREST client against `pgwarden rest`, checked by `tsc --noEmit` against the types
// `pgwarden gen types typescript` generated (tests_py/test_typed_clients.py).
import { PostgrestClient } from "@supabase/postgrest-js"
import type { Database } from "./database.types"

declare const process: { argv: string[]; exit(code: number): never }

type Status = Database["api"]["Enums"]["tc_books_status"]

async function main(url: string): Promise<void> {
  const client = new PostgrestClient<Database>(url)
  const author = await client.from("tc_authors").insert({ name: "Ursula" }).select("id, name").single()
  if (author.error) throw new Error(author.error.message)
  const authorId: number = author.data.id

  const created = await client
    .from("tc_books")
    .insert({ title: "A Wizard of Earthsea", author_id: authorId, tags: ["fantasy"] })
    .select("id")
    .single()
  if (created.error) throw new Error(created.error.message)

  const updated = await client
    .from("tc_books")
    .update({ status: "published", pages: 183 })
    .eq("id", created.data.id)
    .select("id, status, pages")
    .single()
  if (updated.error) throw new Error(updated.error.message)
  const status: Status = updated.data.status

  const books = await client
    .from("tc_books")
    .select("id, title, status, tc_authors(name)")
    .eq("author_id", authorId)
  if (books.error) throw new Error(books.error.message)
  const writer: string | undefined = books.data[0]?.tc_authors?.name

  const sum = await client.rpc("tc_add", { a: 40, b: 2 })
  if (sum.error) throw new Error(sum.error.message)
  const answer: number = sum.data

  const byAuthor = await client.rpc("tc_books_by", { author: authorId })
  if (byAuthor.error) throw new Error(byAuthor.error.message)
  const titles: string[] = byAuthor.data.map((book) => book.title)

  console.log(JSON.stringify({ status, pages: updated.data.pages, writer, answer, titles }))
}

main(process.argv[2] ?? "").catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
