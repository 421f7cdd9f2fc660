// C[b, i, j] = epilogue(Σ_k A[b, i, k] · B[b, k, j]), every operand addressed by an offset and
// strides into `mem`, so one kernel serves every transpose of the step. The k of a product is
// the concatenation of up to five segments, each its own (A, B) pair ([`Seg`]): a sum of
// products of one output, such as a weight's gradient summed over the weight's uses, is one
// dispatch. Each C element is added k = 0, 1, …, K-1 in that order, segment after segment, into
// its own f32 accumulator; tiles only stage operands in workgroup memory, so the order is the
// same for any tiling and any adapter.
// Epilogues (`mode`): 0 C = acc; 2 C = X + acc; 3 C = acc if X > 0 else 0.
// With `kt` > 0 the batch index b is a slice of a longer k: slice b sums the k in
// [b·u.k, min((b + 1)·u.k, kt)) (the last slice is shorter), and `matmul_sum` then adds the
// slices.
struct Seg {
    a: u32, a_i: u32, a_k: u32, a_b: u32,
    b: u32, b_k: u32, b_j: u32, b_b: u32,
}
struct Mm {
    m: u32, n: u32, k: u32, mode: u32,
    c: u32, c_i: u32, c_j: u32, c_b: u32,
    x: u32, x_i: u32, x_j: u32, x_b: u32,
    kt: u32, segs: u32, pad0: u32, pad1: u32,
    // Where segments 0..3 end in k; the last segment ends at the product's k.
    ends: vec4<u32>,
    seg: array<Seg, 5>,
}
@group(0) @binding(2) var<uniform> u: Mm;

fn seg_start(s: u32) -> u32 {
    if (s == 0u) {
        return 0u;
    }
    return u.ends[s - 1u];
}

fn seg_end(s: u32) -> u32 {
    if (s + 1u == u.segs) {
        return select(u.k, u.kt, u.kt > 0u);
    }
    return u.ends[s];
}

// Segment s's share of the k that batch index b sums: A's and B's offsets at its first k, and
// its length (0 where the segment lies outside). The operands' batch index is b, or 0 where b
// is a slice of k.
struct Share {
    a0: u32, b0: u32, len: u32,
}

fn share(s: u32, b: u32) -> Share {
    var kr = vec2<u32>(0u, u.k);
    var ob = b;
    if (u.kt > 0u) {
        let first = min(b * u.k, u.kt);
        kr = vec2<u32>(first, min(first + u.k, u.kt));
        ob = 0u;
    }
    let start = seg_start(s);
    let lo = max(kr.x, start);
    let hi = min(kr.y, seg_end(s));
    if (lo >= hi) {
        return Share(0u, 0u, 0u);
    }
    let g = u.seg[s];
    return Share(g.a + ob * g.a_b + (lo - start) * g.a_k, g.b + ob * g.b_b + (lo - start) * g.b_k, hi - lo);
}

fn epilogue(i: u32, j: u32, b: u32, v: f32) {
    let ci = u.c + b * u.c_b + i * u.c_i + j * u.c_j;
    let xi = u.x + b * u.x_b + i * u.x_i + j * u.x_j;
    switch u.mode {
        case 2u: {
            mem[mb + ci] = mem[mb + xi] + v;
        }
        case 3u: {
            mem[mb + ci] = select(0.0, v, mem[mb + xi] > 0.0);
        }
        default: {
            mem[mb + ci] = v;
        }
    }
}

// A workgroup of 16×16 invocations computes a 64×64 tile of C; invocation (x, y) owns the 4×4
// elements at rows y + 16r, columns x + 16c (r, c < 4), so each step over k reads 8 staged
// values for 16 products. K runs in slices of 16 within each segment: A's [64 × 16] and B's
// [16 × 64] slices are staged in workgroup memory, 4 values of each per invocation, in the
// order in which an operand's elements lie side by side in `mem` (along k for A, along j for B,
// or the other way where the operand is transposed), so neighbouring invocations load
// neighbouring words. The staged rows are padded by one word (TA, TB), so that both orders
// store without bank conflicts. Staging never changes what is added, or in what order.
const BM: u32 = 64u;
const BK: u32 = 16u;
const TA: u32 = 17u;
const TB: u32 = 65u;
var<workgroup> ta: array<f32, 1088>;
var<workgroup> tb: array<f32, 1040>;

@compute @workgroup_size(16, 16, 1)
fn matmul(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) l: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    // z = run · batches + b.
    let nb = nwg.z / R.count;
    let b = wg.z % nb;
    enter(wg.z / nb);
    let i0 = wg.y * BM;
    let j0 = wg.x * BM;
    let lid = l.y * 16u + l.x;
    var acc: array<vec4<f32>, 4>;
    for (var s = 0u; s < u.segs; s++) {
        let sh = share(s, b);
        if (sh.len == 0u) {
            continue;
        }
        let g = u.seg[s];
        let a0 = sh.a0;
        let b0 = sh.b0;
        let kl = sh.len;
        // A or B lies along i or k rather than along k or j.
        let a_down = g.a_i == 1u && g.a_k != 1u;
        let b_down = g.b_k == 1u && g.b_j != 1u;
        for (var k0 = 0u; k0 < kl; k0 += BK) {
            for (var q = 0u; q < 4u; q++) {
                let e = lid + 256u * q;
                // (row, k) of A's slice and (k, column) of B's that invocation lid stages.
                var ra = e / BK;
                var ca = e % BK;
                if (a_down) {
                    ra = e % BM;
                    ca = e / BM;
                }
                var rb = e / BM;
                var cb = e % BM;
                if (b_down) {
                    rb = e % BK;
                    cb = e / BK;
                }
                let ia = i0 + ra;
                let ka = k0 + ca;
                var va = 0.0;
                if (ia < u.m && ka < kl) {
                    va = mem[mb + a0 + ia * g.a_i + ka * g.a_k];
                }
                ta[ra * TA + ca] = va;
                let kb = k0 + rb;
                let jb = j0 + cb;
                var vb = 0.0;
                if (kb < kl && jb < u.n) {
                    vb = mem[mb + b0 + kb * g.b_k + jb * g.b_j];
                }
                tb[rb * TB + cb] = vb;
            }
            workgroupBarrier();
            let kn = min(BK, kl - k0);
            for (var kk = 0u; kk < kn; kk++) {
                let bv = vec4<f32>(
                    tb[kk * TB + l.x],
                    tb[kk * TB + l.x + 16u],
                    tb[kk * TB + l.x + 32u],
                    tb[kk * TB + l.x + 48u],
                );
                for (var r = 0u; r < 4u; r++) {
                    acc[r] += ta[(l.y + 16u * r) * TA + kk] * bv;
                }
            }
            workgroupBarrier();
        }
    }
    for (var r = 0u; r < 4u; r++) {
        for (var c = 0u; c < 4u; c++) {
            let i = i0 + l.y + 16u * r;
            let j = j0 + l.x + 16u * c;
            if (i < u.m && j < u.n) {
                epilogue(i, j, b, acc[r][c]);
            }
        }
    }
}

// The same sums without workgroup memory, for CPU adapters (lavapipe), where workgroup barriers
// cost more than the loads they save: invocation (x, y) computes the 4×4 block of C at rows
// 4y.., columns 4x.., so each k costs 8 loads for 16 products. Each element still adds
// k = 0, 1, … in order, segment after segment, into its own accumulator. Rows and columns past
// the edge load a clamped (valid) index and are never stored.
@compute @workgroup_size(8, 8, 1)
fn matmul_direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let nb = nwg.z / R.count;
    let b = gid.z % nb;
    enter(gid.z / nb);
    let i0 = gid.y * 4u;
    let j0 = gid.x * 4u;
    if (i0 >= u.m || j0 >= u.n) {
        return;
    }
    var acc: array<vec4<f32>, 4>;
    for (var s = 0u; s < u.segs; s++) {
        let sh = share(s, b);
        if (sh.len == 0u) {
            continue;
        }
        let g = u.seg[s];
        var ar: vec4<u32>;
        var bc: vec4<u32>;
        for (var r = 0u; r < 4u; r++) {
            ar[r] = sh.a0 + min(i0 + r, u.m - 1u) * g.a_i;
            bc[r] = sh.b0 + min(j0 + r, u.n - 1u) * g.b_j;
        }
        for (var k = 0u; k < sh.len; k++) {
            let bk = vec4<f32>(
                mem[mb + bc[0] + k * g.b_k],
                mem[mb + bc[1] + k * g.b_k],
                mem[mb + bc[2] + k * g.b_k],
                mem[mb + bc[3] + k * g.b_k],
            );
            for (var r = 0u; r < 4u; r++) {
                acc[r] += mem[mb + ar[r] + k * g.a_k] * bk;
            }
        }
    }
    for (var r = 0u; r < 4u; r++) {
        for (var c = 0u; c < 4u; c++) {
            let i = i0 + r;
            let j = j0 + c;
            if (i < u.m && j < u.n) {
                epilogue(i, j, b, acc[r][c]);
            }
        }
    }
}

// The epilogue of a split product: invocation (i, j) adds the slices' sums
// part[s, i, j] (at segment 0's `a`, [k, m, n]) for s = 0, 1, … in order into one accumulator.
@compute @workgroup_size(64)
fn matmul_sum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    enter(gid.z);
    let id = flat_index(gid, nwg);
    if (id >= u.m * u.n) {
        return;
    }
    var acc = 0.0;
    for (var s = 0u; s < u.k; s++) {
        acc += mem[mb + u.seg[0].a + s * u.m * u.n + id];
    }
    epilogue(id / u.n, id % u.n, 0u, acc);
}
