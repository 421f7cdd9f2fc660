// Attention at the last position of each example, from the per-token q, k [V, H, d_head]
// (SPEC §3: only position 2 feeds the loss), and its backward through the token tables.
struct Attn {
    n: u32, tok: u32, heads: u32, dh: u32,
    voc: u32, m: u32, q: u32, k: u32,
    a: u32, g: u32, mlp_table: u32, logit_table: u32,
    dpre: u32, dl: u32, sqrt_dh: f32, pad: u32,
}
@group(0) @binding(2) var<uniform> u: Attn;

fn token(n: u32, s: u32) -> u32 {
    return ids[ib + u.tok + n * 3u + s];
}

// Invocation (n, h): a[n, h, s] = softmax_s(q[t_2, h] · k[t_s, h] / √d_head), s = 0, 1, 2.
@compute @workgroup_size(64)
fn attn_scores(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    enter(gid.z);
    let id = flat_index(gid, nwg);
    if (id >= u.n * u.heads) {
        return;
    }
    let n = id / u.heads;
    let h = id % u.heads;
    let hd = u.heads * u.dh;
    let qb = u.q + token(n, 2u) * hd + h * u.dh;
    var s: array<f32, 3>;
    for (var p = 0u; p < 3u; p++) {
        let kb = u.k + token(n, p) * hd + h * u.dh;
        var acc = 0.0;
        for (var j = 0u; j < u.dh; j++) {
            acc += mem[mb + qb + j] * mem[mb + kb + j];
        }
        s[p] = acc / u.sqrt_dh;
    }
    let mx = max(max(s[0], s[1]), s[2]);
    let e0 = exp(s[0] - mx);
    let e1 = exp(s[1] - mx);
    let e2 = exp(s[2] - mx);
    let sum = e0 + e1 + e2;
    let ab = u.a + id * 3u;
    mem[mb + ab] = e0 / sum;
    mem[mb + ab + 1u] = e1 / sum;
    mem[mb + ab + 2u] = e2 / sum;
}

// g[n, h, s] from da_s and the attention weights a[n, h, s] (id = n·H + h).
fn attn_grad(id: u32, da: array<f32, 3>) {
    let ab = u.a + id * 3u;
    let sa = mem[mb + ab] * da[0] + mem[mb + ab + 1u] * da[1] + mem[mb + ab + 2u] * da[2];
    let gb = u.g + id * 3u;
    for (var p = 0u; p < 3u; p++) {
        mem[mb + gb + p] = mem[mb + ab + p] * (da[p] - sa) / u.sqrt_dh;
    }
}

// Lane l's share of da_s = dpre[n] · p[row] + dl[n] · l[row] for the tables' row
// `row` = t_s·(1 + H) + 1 + h: its terms i ≡ l (mod 64) in order, the d_mlp ones, then the
// d_vocab ones. Both attention backward kernels add the 64 lanes in the same tree.
fn da_lane(n: u32, row: u32, l: u32) -> f32 {
    let pb = u.mlp_table + row * u.m;
    let lb = u.logit_table + row * u.voc;
    var acc = 0.0;
    for (var i = l; i < u.m; i += 64u) {
        acc += mem[mb + u.dpre + n * u.m + i] * mem[mb + pb + i];
    }
    for (var z = l; z < u.voc; z += 64u) {
        acc += mem[mb + u.dl + n * u.voc + z] * mem[mb + lb + z];
    }
    return acc;
}

// Heads per pass of `attn_bwd`, and its workgroup memory: 3·HB partial sums per invocation.
const HB: u32 = 16u;
var<workgroup> part: array<f32, 3072>;

// Workgroup n (64 invocations): the gradient of the loss with respect to the dot products
// q[t_2, h] · k[t_s, h] of example n, g[n, h, s] = a_s (da_s − Σ_s' a_s' da_s') / √d_head, where
// da_s = dr · o[t_s, h] is read off the token tables as dpre[n] · p[t_s, 1 + h] + dl[n] · l[t_s, 1 + h]
// (dr = W_in^T dpre + W_U dl). Invocation l sums its lane of each da (`da_lane`), and a fixed
// tree adds the 64 partial sums (l + 32, then l + 16, …), so the loads of a row are side by
// side and the order is one.
@compute @workgroup_size(64)
fn attn_bwd(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_index) l: u32,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    enter(wg.z);
    let n = wg.y * nwg.x + wg.x;
    if (n >= u.n) {
        return;
    }
    let rows = 1u + u.heads;
    for (var h0 = 0u; h0 < u.heads; h0 += HB) {
        let hn = min(HB, u.heads - h0);
        for (var j = 0u; j < 3u * hn; j++) {
            let row = token(n, j % 3u) * rows + 1u + h0 + j / 3u;
            part[j * 64u + l] = da_lane(n, row, l);
        }
        workgroupBarrier();
        for (var s = 32u; s > 0u; s >>= 1u) {
            if (l < s) {
                for (var j = 0u; j < 3u * hn; j++) {
                    part[j * 64u + l] += part[j * 64u + l + s];
                }
            }
            workgroupBarrier();
        }
        if (l < hn) {
            var da: array<f32, 3>;
            for (var p = 0u; p < 3u; p++) {
                da[p] = part[(l * 3u + p) * 64u];
            }
            attn_grad(n * u.heads + h0 + l, da);
        }
        workgroupBarrier();
    }
}

// `attn_bwd` for CPU adapters, where workgroup barriers cost more than they save: invocation
// (n, h) adds each da_s in the same order (64 partial sums, i ≡ l (mod 64), then the same tree),
// so both kernels give the same bits.
@compute @workgroup_size(64)
fn attn_bwd_direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    enter(gid.z);
    let id = flat_index(gid, nwg);
    if (id >= u.n * u.heads) {
        return;
    }
    let n = id / u.heads;
    let h = id % u.heads;
    let rows = 1u + u.heads;
    var da: array<f32, 3>;
    var part: array<f32, 64>;
    for (var p = 0u; p < 3u; p++) {
        let row = token(n, p) * rows + 1u + h;
        for (var l = 0u; l < 64u; l++) {
            part[l] = da_lane(n, row, l);
        }
        for (var s = 32u; s > 0u; s >>= 1u) {
            for (var l = 0u; l < s; l++) {
                part[l] += part[l + s];
            }
        }
        da[p] = part[0];
    }
    attn_grad(id, da);
}
