// dL/dlogits of the mean cross-entropy (SPEC §4), one invocation per example:
// dl[z] = softmax_z · scale for z ≠ label, and dl[label] = −(Σ_{z≠label} e^{l_z − max} / Σ_z e^{l_z − max}) · scale,
// which keeps the small value p_label − 1 exact where the softmax saturates.
struct Ce {
    n: u32, voc: u32, logits: u32, dl: u32,
    scale: u32, labels: u32, pad0: u32, pad1: u32,
}
@group(0) @binding(2) var<uniform> u: Ce;

@compute @workgroup_size(64)
fn ce_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    enter(gid.z);
    let n = flat_index(gid, nwg);
    if (n >= u.n) {
        return;
    }
    let row = u.logits + n * u.voc;
    let out = u.dl + n * u.voc;
    let label = ids[ib + u.labels + n];
    var mx = mem[mb + row];
    for (var z = 1u; z < u.voc; z++) {
        mx = max(mx, mem[mb + row + z]);
    }
    var total = 0.0;
    var others = 0.0;
    for (var z = 0u; z < u.voc; z++) {
        let e = exp(mem[mb + row + z] - mx);
        total += e;
        if (z != label) {
            others += e;
        }
    }
    let scale = mem[mb + u.scale + n];
    for (var z = 0u; z < u.voc; z++) {
        if (z == label) {
            mem[mb + out + z] = -(others / total) * scale;
        } else {
            mem[mb + out + z] = exp(mem[mb + row + z] - mx) / total * scale;
        }
    }
}
