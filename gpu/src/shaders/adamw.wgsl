// AdamW over one tensor, element-wise with core's formula and scalars (SPEC §4), after the
// optional Grokfast ema filter (`ema` = 1, its state h at `h`). The scalars of the step number t
// are the run's own, in its arena at `sc`: −lr/(1−β1^t), √(1−β2^t), and 1.0 at step 1 (`first`):
// h ← g (first); h ← h·α + g·(1−α); g ← g + h·λ;
// θ ← θ·(1 − lr·wd); m ← m + (1−β1)(g − m); v ← β2·v + (1−β2)·g·g;
// θ ← θ + (−lr/(1−β1^t))·m / (√v/√(1−β2^t) + eps).
struct Adam {
    len: u32, p: u32, g: u32, m: u32,
    v: u32, sc: u32, pad1: u32, pad2: u32,
    decay: f32, one_m_b1: f32, b2: f32, one_m_b2: f32,
    pad6: f32, pad7: f32, eps: f32, pad3: f32,
    h: u32, ema: u32, pad8: u32, pad4: u32,
    alpha: f32, one_m_alpha: f32, lamb: f32, pad5: f32,
}
@group(0) @binding(2) var<uniform> u: Adam;

@compute @workgroup_size(64)
fn adamw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    enter(gid.z);
    let i = flat_index(gid, nwg);
    if (i >= u.len) {
        return;
    }
    var g = mem[mb + u.g + i];
    if (u.ema != 0u) {
        var h = mem[mb + u.h + i];
        if (mem[mb + u.sc + 2u] != 0.0) {
            h = g;
        }
        h = h * u.alpha + g * u.one_m_alpha;
        g = g + h * u.lamb;
        mem[mb + u.h + i] = h;
        mem[mb + u.g + i] = g;
    }
    let m = mem[mb + u.m + i] + u.one_m_b1 * (g - mem[mb + u.m + i]);
    let v = mem[mb + u.v + i] * u.b2 + u.one_m_b2 * g * g;
    let denom = sqrt(v) / mem[mb + u.sc + 1u] + u.eps;
    mem[mb + u.p + i] = mem[mb + u.p + i] * u.decay + mem[mb + u.sc] * m / denom;
    mem[mb + u.m + i] = m;
    mem[mb + u.v + i] = v;
}
