import Glibc

/// Writing a user namespace's uid and gid maps from the parent, while the child waits.
///
/// This slice supports the single mapping that `unshare --map-root-user` makes: uid and gid 0
/// inside to the caller's effective uid and gid outside. An unprivileged process may write such
/// a map for its own child only after `setgroups` is set to "deny" (user_namespaces(7)); root
/// leaves setgroups allowed.
enum IDMap {
    /// Lowers ``SpawnConfiguration/mapRootUser``: the child waits at this point of its plan
    /// while the parent writes its maps.
    static func lower(_ c: SpawnConfiguration, into plan: SpawnPlan) {
        guard c.mapRootUser else { return }
        plan.waitForParentOnce(what: .text("wait for the parent to write uid/gid maps"))
        // No undo: the maps go with the user namespace, which goes with the child.
        plan.parentActions.append(ParentAction { pid throws(NSCoreError) in
            try writeRootMapping(pid: pid)
            return nil
        })
    }

    /// Maps root inside `pid`'s user namespace to the caller's euid/egid.
    /// - Throws: ``NSCoreError`` naming the /proc file that could not be written.
    static func writeRootMapping(pid: pid_t) throws(NSCoreError) {
        let uid = geteuid(), gid = getegid()
        if uid != 0 {
            try write("/proc/\(pid)/setgroups", "deny")
        }
        try write("/proc/\(pid)/uid_map", "0 \(uid) 1\n")
        try write("/proc/\(pid)/gid_map", "0 \(gid) 1\n")
    }

    private static func write(_ path: String, _ text: String) throws(NSCoreError) {
        if case .failure(let e) = sys_writeFile(path, text) {
            throw NSCoreError(.from(errno: e), errno: e, stage: "write \(path)",
                              message: "write \"\(text.trimmingTrailingNewline)\" to \(path): \(e)")
        }
    }
}

extension String {
    var trimmingTrailingNewline: String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}

extension SpawnPlanner {
    static func lowerIDMaps(_ c: SpawnConfiguration, into plan: SpawnPlan) { IDMap.lower(c, into: plan) }
}
