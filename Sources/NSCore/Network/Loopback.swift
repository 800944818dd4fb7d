import CNSCoreShim
import Glibc

extension SpawnPlanner {
    /// A new network namespace has only `lo`, and it starts down: the child brings it up.
    static func lowerLoopback(_ namespaces: NamespaceSet, into plan: SpawnPlan) {
        if namespaces.contains(.network) {
            plan.loopbackUp(what: .text("bring up lo in the new network namespace"))
        }
    }
}
