// A linear map f of the residual at position 2, read off f's token table (SPEC §3 fast path):
// r = e[t_2] + Σ_h Σ_s a[h, s] o[t_s, h], so f(r) = T[t_2, 0] + Σ_h Σ_s a[h, s] T[t_s, 1 + h]
// with the table T [V, 1 + H, width] of f(e) and f(o) rows.
struct Fold {
    n: u32, tok: u32, heads: u32, width: u32,
    table: u32, a: u32, out: u32, relu: u32,
}
@group(0) @binding(2) var<uniform> u: Fold;

// Invocation (n, c): out[n, c] = T[t_2, 0, c] + Σ_h Σ_s a[n, h, s] · T[t_s, 1 + h, c], through a
// ReLU if `relu` is 1.
@compute @workgroup_size(64)
fn fold(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    enter(gid.z);
    let id = flat_index(gid, nwg);
    if (id >= u.n * u.width) {
        return;
    }
    let n = id / u.width;
    let c = id % u.width;
    let rows = 1u + u.heads;
    var t: array<u32, 3>;
    for (var s = 0u; s < 3u; s++) {
        t[s] = ids[ib + u.tok + n * 3u + s];
    }
    var acc = 0.0;
    for (var h = 0u; h < u.heads; h++) {
        for (var s = 0u; s < 3u; s++) {
            let x = mem[mb + u.table + (t[s] * rows + 1u + h) * u.width + c];
            acc += mem[mb + u.a + (n * u.heads + h) * 3u + s] * x;
        }
    }
    let v = mem[mb + u.table + t[2] * rows * u.width + c] + acc;
    if (u.relu == 1u) {
        mem[mb + u.out + id] = select(0.0, v, v > 0.0);
    } else {
        mem[mb + u.out + id] = v;
    }
}
