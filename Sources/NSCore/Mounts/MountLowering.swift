import CNSCoreShim
import Glibc

/// The mount namespace's part of a spawn: the propagation of `/`, then a fresh `/proc` for a new
/// PID namespace.
extension SpawnPlanner {
    static func lowerMounts(_ c: SpawnConfiguration, _ ns: NamespaceSet, into plan: SpawnPlan) {
        guard ns.contains(.mount) else { return }
        if let propagation = c.rootPropagation {
            plan.mount(source: nil, target: plan.string("/"), flags: UInt(MS_REC) | propagation.mountFlag,
                       what: .rootPropagation(propagation))
        }
        let mountProc = c.mountProc ?? ns.contains(.pid)
        if mountProc {
            // The copied /proc may be a shared mount (when / was left shared): make it private
            // first, or the new proc would propagate back over the host's /proc.
            let proc = plan.string("/proc")
            plan.mount(source: nil, target: proc, flags: UInt(MS_REC) | UInt(MS_PRIVATE),
                       what: .text("make /proc private before mounting proc"))
            plan.mount(source: plan.string("proc"), target: proc, fstype: plan.string("proc"),
                       flags: UInt(MS_NOSUID) | UInt(MS_NODEV) | UInt(MS_NOEXEC),
                       what: .text("mount proc on /proc"))
        }
    }
}
