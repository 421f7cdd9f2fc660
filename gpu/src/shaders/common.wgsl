// Shared by every kernel: one f32 arena (parameters, gradients, moments, activations at offsets
// the host computes) and one u32 arena (tokens, labels, per-token example lists) per run. A
// dispatch steps `R.count` runs of one shape at once, runs `R.first`, `R.first + 1`, …: run r's
// arenas start at r·R.mem and r·R.ids, and every kernel enters its run first (`enter`), so all
// its reads and writes go to that run's arenas with the offsets of a run alone.
@group(0) @binding(0) var<storage, read_write> mem: array<f32>;
@group(0) @binding(1) var<storage, read> ids: array<u32>;

struct Runs {
    mem: u32, ids: u32, count: u32, first: u32,
}
@group(0) @binding(3) var<uniform> R: Runs;

// The current invocation's run's arena bases.
var<private> mb: u32;
var<private> ib: u32;

// Enters the dispatch's run number `run` (the grid's z, or part of it).
fn enter(run: u32) {
    mb = (R.first + run) * R.mem;
    ib = (R.first + run) * R.ids;
}

// Flat invocation index of a 1-D kernel of workgroup size 64 dispatched on a 2-D grid (the grid
// is 2-D only so that more than 65535 workgroups fit); the grid's z is the run.
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.y * nwg.x * 64u + gid.x;
}
