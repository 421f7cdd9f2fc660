// Shared by every kernel: one f32 arena (parameters, gradients, moments, activations at offsets
// the host computes) and one u32 arena (tokens, labels, per-token example lists).
@group(0) @binding(0) var<storage, read_write> mem: array<f32>;
@group(0) @binding(1) var<storage, read> ids: array<u32>;

// Flat invocation index of a 1-D kernel of workgroup size 64 dispatched on a 2-D grid (the grid
// is 2-D only so that more than 65535 workgroups fit).
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.y * nwg.x * 64u + gid.x;
}
