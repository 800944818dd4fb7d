import CNSCoreShim
import Glibc

/// The UTS namespace's part of a spawn: the hostname and NIS domain name, checked, then set in
/// the child (`sethostname(2)`, `setdomainname(2)`).
extension SpawnPlanner {
    static func checkUTSName(_ name: String, what: String, _ ns: NamespaceSet) throws(NSCoreError) {
        if !ns.contains(.uts) {
            throw .invalid(what, "\(what): setting it needs a new UTS namespace, or it would change the host's")
        }
        if name.containsNUL { throw .invalid(what, "\(what) contains a NUL byte") }
        let n = name.utf8.count
        if n > maxHostname {
            throw NSCoreError(.invalidArgument, errno: Errno(rawValue: EINVAL), stage: what,
                              message: "\(what) '\(name.prefix(16))...' is \(n) bytes long; the kernel allows at most \(maxHostname)")
        }
    }

    static func lowerUTS(_ c: SpawnConfiguration, into plan: SpawnPlan) {
        if let h = c.hostname { plan.sethostname(h) }
        if let d = c.domainname { plan.setdomainname(d) }
    }
}
