// What an answer about a task id says, with the id itself (and its shot, in any case) made neutral,
// so answers about a taken id and a free one compare equal exactly when they tell nothing apart.
export function idNeutral(res: { status: number; body: unknown }, id: string): string {
  return JSON.stringify({ status: res.status, body: res.body })
    .replaceAll(id, 'ID')
    .replace(new RegExp(id.split('_')[2]!, 'gi'), 'SHOT')
    .replace(/"(timestamp|request_id)":"[^"]*"/g, '"$1":"-"');
}
