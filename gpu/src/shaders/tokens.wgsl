// Per-token gradients gathered from the examples that use the token, in two passes. Token t's
// list holds the train pairs (n, s) with tokens[n][s] = t, as n·3 + s ascending, cut into
// chunks of at most 64 entries (`entries[chunk_starts[c]..chunk_starts[c + 1]]`, token t's chunks
// `token_chunks[t]..token_chunks[t + 1]`). The first pass sums each chunk into `part` [chunk, W],
// entries in order; `tok_reduce` adds a token's chunks in order. So every sum has one fixed
// order, no two invocations write one value, and a token used by every example (the op token)
// is summed by many invocations rather than one long loop. Each pass serves two blocks side by
// side (both token tables; dq and dk): block 1's part follows block 0's, and so does its output.
struct Tok {
    voc: u32, heads: u32, dh: u32, width: u32,
    entries: u32, chunk_starts: u32, token_chunks: u32, tok: u32,
    a: u32, g: u32, q: u32, k: u32,
    x: u32, part: u32, out: u32, chunks: u32,
    // Block 1's width and (for the tables) its examples' gradients.
    width1: u32, x1: u32, pad0: u32, pad1: u32,
}
@group(0) @binding(2) var<uniform> u: Tok;

fn chunk_begin(c: u32) -> u32 {
    return ids[ib + u.chunk_starts + c];
}

fn chunk_end(c: u32) -> u32 {
    return ids[ib + u.chunk_starts + c + 1u];
}

fn entry(e: u32) -> u32 {
    return ids[ib + u.entries + e];
}

// The block of flat index `id` (1 past block 0's `n0` indices, else 0) and its index in it.
fn block_of(id: u32, n0: u32) -> vec2<u32> {
    if (id >= n0) {
        return vec2<u32>(1u, id - n0);
    }
    return vec2<u32>(0u, id);
}

// Two token tables T [V, 1 + H, W]'s gradient sums (see fold.wgsl) from the examples'
// gradients x [N, W] of f(r): block 0 of width W = `width` from `x`, block 1 of `width1` from
// `x1`. Invocation (block, chunk, row, c):
// row 0: part[chunk, 0, c] = Σ_{(n, 2) ∈ chunk} x[n, c];
// row 1 + h: part[chunk, 1 + h, c] = Σ_{(n, s) ∈ chunk} a[n, h, s] · x[n, c].
@compute @workgroup_size(64)
fn tok_sum_part(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    enter(gid.z);
    let id = flat_index(gid, nwg);
    let rows = 1u + u.heads;
    let bl = block_of(id, u.chunks * rows * u.width);
    let local = bl.y;
    let width = select(u.width, u.width1, bl.x == 1u);
    let x = select(u.x, u.x1, bl.x == 1u);
    if (local >= u.chunks * rows * width) {
        return;
    }
    let ch = local / (rows * width);
    let row = (local / width) % rows;
    let c = local % width;
    var acc = 0.0;
    for (var e = chunk_begin(ch); e < chunk_end(ch); e++) {
        let ns = entry(e);
        let n = ns / 3u;
        if (row == 0u) {
            if (ns % 3u == 2u) {
                acc += mem[mb + x + n * width + c];
            }
        } else {
            let w = mem[mb + u.a + (n * u.heads + row - 1u) * 3u + ns % 3u];
            acc += w * mem[mb + x + n * width + c];
        }
    }
    mem[mb + u.part + id] = acc;
}

// dq and dk in one pass: invocation (0, chunk, h, j) writes part[0, chunk, h, j] =
// Σ_{(n, 2) ∈ chunk} Σ_s g[n, h, s] · k[t_s, h, j], the chunk's share of dq[t, h, j], and
// invocation (1, chunk, h, j) part[1, chunk, h, j] = Σ_{(n, s) ∈ chunk} g[n, h, s] · q[t_2(n), h, j],
// its share of dk[t, h, j].
@compute @workgroup_size(64)
fn tok_qk_part(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    enter(gid.z);
    let hd = u.heads * u.dh;
    let id = flat_index(gid, nwg);
    if (id >= 2u * u.chunks * hd) {
        return;
    }
    let bl = block_of(id, u.chunks * hd);
    let dk = bl.x == 1u;
    let ch = bl.y / hd;
    let hj = bl.y % hd;
    let h = hj / u.dh;
    var acc = 0.0;
    for (var e = chunk_begin(ch); e < chunk_end(ch); e++) {
        let ns = entry(e);
        let n = ns / 3u;
        if (dk) {
            let t2 = ids[ib + u.tok + n * 3u + 2u];
            acc += mem[mb + u.g + (n * u.heads + h) * 3u + ns % 3u] * mem[mb + u.q + t2 * hd + hj];
        } else if (ns % 3u == 2u) {
            for (var s = 0u; s < 3u; s++) {
                let ts = ids[ib + u.tok + n * 3u + s];
                acc += mem[mb + u.g + (n * u.heads + h) * 3u + s] * mem[mb + u.k + ts * hd + hj];
            }
        }
    }
    mem[mb + u.part + id] = acc;
}

// Invocation (b, t, x), x < W_b (block 0 of width `width`, block 1 of `width1`): out[b, t, x] =
// Σ_{chunk of t} part[b, chunk, x], chunks in order (0 for a token no example uses); block b of
// part is [chunks, W_b], of out [V, W_b].
@compute @workgroup_size(64)
fn tok_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    enter(gid.z);
    let id = flat_index(gid, nwg);
    let bl = block_of(id, u.voc * u.width);
    let local = bl.y;
    let width = select(u.width, u.width1, bl.x == 1u);
    let part = select(u.part, u.part + u.chunks * u.width, bl.x == 1u);
    if (local >= u.voc * width) {
        return;
    }
    let t = local / width;
    let x = local % width;
    var acc = 0.0;
    for (var c = ids[ib + u.token_chunks + t]; c < ids[ib + u.token_chunks + t + 1u]; c++) {
        acc += mem[mb + part + c * width + x];
    }
    mem[mb + u.out + id] = acc;
}
