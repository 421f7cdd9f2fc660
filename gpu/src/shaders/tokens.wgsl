// Per-token gradients gathered from the examples that use the token. `starts`/`entries` list,
// for each token t, the pairs (n, s) with tokens[n][s] = t as n·3 + s in ascending order, so
// every sum runs over the examples in one fixed order and no two invocations write one value.
struct Tok {
    voc: u32, heads: u32, dh: u32, width: u32,
    starts: u32, entries: u32, tok: u32, a: u32,
    g: u32, q: u32, k: u32, dq: u32,
    dk: u32, x: u32, out: u32, pad: u32,
}
@group(0) @binding(2) var<uniform> u: Tok;

// The gradient sums of a token table T [V, 1 + H, width] (see fold.wgsl) from the examples'
// gradients x [N, width] of f(r). Invocation (t, row, c):
// row 0: out[t, 0, c] = Σ_{(n, 2) ∈ list(t)} x[n, c];
// row 1 + h: out[t, 1 + h, c] = Σ_{(n, s) ∈ list(t)} a[n, h, s] · x[n, c].
@compute @workgroup_size(64)
fn tok_sum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    enter(gid.z);
    let id = flat_index(gid, nwg);
    let rows = 1u + u.heads;
    if (id >= u.voc * rows * u.width) {
        return;
    }
    let t = id / (rows * u.width);
    let row = (id / u.width) % rows;
    let c = id % u.width;
    var acc = 0.0;
    for (var e = ids[ib + u.starts + t]; e < ids[ib + u.starts + t + 1u]; e++) {
        let ns = ids[ib + u.entries + e];
        let n = ns / 3u;
        if (row == 0u) {
            if (ns % 3u == 2u) {
                acc += mem[mb + u.x + n * u.width + c];
            }
        } else {
            let w = mem[mb + u.a + (n * u.heads + row - 1u) * 3u + ns % 3u];
            acc += w * mem[mb + u.x + n * u.width + c];
        }
    }
    mem[mb + u.out + id] = acc;
}

// Invocation (t, h, j): dq[t, h, j] = Σ_{(n, 2) ∈ list(t)} Σ_s g[n, h, s] · k[t_s, h, j].
@compute @workgroup_size(64)
fn tok_dq(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    enter(gid.z);
    let hd = u.heads * u.dh;
    let id = flat_index(gid, nwg);
    if (id >= u.voc * hd) {
        return;
    }
    let t = id / hd;
    let hj = id % hd;
    let h = hj / u.dh;
    var acc = 0.0;
    for (var e = ids[ib + u.starts + t]; e < ids[ib + u.starts + t + 1u]; e++) {
        let ns = ids[ib + u.entries + e];
        if (ns % 3u != 2u) {
            continue;
        }
        let n = ns / 3u;
        for (var s = 0u; s < 3u; s++) {
            let ts = ids[ib + u.tok + n * 3u + s];
            acc += mem[mb + u.g + (n * u.heads + h) * 3u + s] * mem[mb + u.k + ts * hd + hj];
        }
    }
    mem[mb + u.dq + id] = acc;
}

// Invocation (t, h, j): dk[t, h, j] = Σ_{(n, s) ∈ list(t)} g[n, h, s] · q[t_2(n), h, j].
@compute @workgroup_size(64)
fn tok_dk(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    enter(gid.z);
    let hd = u.heads * u.dh;
    let id = flat_index(gid, nwg);
    if (id >= u.voc * hd) {
        return;
    }
    let t = id / hd;
    let hj = id % hd;
    let h = hj / u.dh;
    var acc = 0.0;
    for (var e = ids[ib + u.starts + t]; e < ids[ib + u.starts + t + 1u]; e++) {
        let ns = ids[ib + u.entries + e];
        let n = ns / 3u;
        let t2 = ids[ib + u.tok + n * 3u + 2u];
        acc += mem[mb + u.g + (n * u.heads + h) * 3u + ns % 3u] * mem[mb + u.q + t2 * hd + hj];
    }
    mem[mb + u.dk + id] = acc;
}
