// Per-person colours: every account gets its own colour (stable across pages and sessions, the same palette as
// hub/meetings/selectors.py PERSON_PALETTE); the province is shown beside it as a marker, so two people of one
// province no longer look alike.
export const PERSON_PALETTE = ['#d1242f', '#0969da', '#1a7f37', '#8250df', '#bf3989', '#9a6700', '#1b7c83',
  '#e16f24', '#7d4e2d', '#1f2f6b']

export function personColour (id) {
  const n = Number(id)
  if (!Number.isFinite(n)) return '#6e7781'
  return PERSON_PALETTE[Math.abs(Math.trunc(n) * 7) % PERSON_PALETTE.length]
}
