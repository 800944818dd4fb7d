import Glibc
import NSCore

/// `nscore creds [PID]`: who a process is (ids, groups, capabilities, no_new_privs) and its user
/// namespace (maps, setgroups, owner, parent), from /proc and the namespace's ioctls.
enum CredsCommand {
    static let help = """
        Usage: nscore creds [options] [PID]

        Show the credentials of process PID (default: nscore itself) and its user namespace,
        as the caller's user namespace sees them:
          uid, gid      real, effective, saved and filesystem ids
          groups        supplementary groups
          capabilities  the bounding, effective, inheritable, permitted and ambient sets
          no_new_privs  whether setuid programs and file capabilities are ignored
          userns        the user namespace, the uid that made it and its parent
          uid_map, gid_map, setgroups   as in /proc/PID

        Options:
          -J, --json    print JSON: {"uids":[...],"gids":[...],"groups":[...],"capabilities":
                        {"bounding":["CAP_CHOWN",...],...},"noNewPrivileges":false,
                        "userNamespace":{...},"owner":N,"parent":{...}|null,"uidMappings":
                        [{"containerID":N,"hostID":N,"size":N}],"gidMappings":[...],
                        "setgroups":"allow"}
          -h, --help    show this help

        """

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        guard let request = try PIDViewArguments.parse("creds", arguments, help: help) else { return 0 }
        let target = request.pid ?? getpid()
        let creds: ProcessCredentials
        do {
            creds = try Inspect.credentials(of: target)
        } catch {
            throw .failed(error, exitCode: ExitCode.failure)
        }
        Output.out(request.json ? creds.json + "\n" : render(creds))
        return 0
    }

    static func render(_ c: ProcessCredentials) -> String {
        func ids(_ list: [UInt32]) -> String { list.isEmpty ? "-" : list.map(String.init).joined(separator: " ") }
        func caps(_ set: CapabilitySet) -> String {
            if set == .all { return "ALL" }
            return set.isEmpty ? "-" : set.members.map { String($0.description.dropFirst(4)).lowercased() }.joined(separator: ",")
        }
        func map(_ lines: [IDMapping]) -> String {
            lines.isEmpty ? "-" : lines.map { "\($0.containerID) \($0.hostID) \($0.size)" }.joined(separator: ", ")
        }
        var out = ""
        out += "uid           \(ids(c.uids))\n"
        out += "gid           \(ids(c.gids))\n"
        out += "groups        \(ids(c.groups))\n"
        out += "bounding      \(caps(c.capabilities.bounding))\n"
        out += "effective     \(caps(c.capabilities.effective))\n"
        out += "permitted     \(caps(c.capabilities.permitted))\n"
        out += "inheritable   \(caps(c.capabilities.inheritable))\n"
        out += "ambient       \(caps(c.capabilities.ambient))\n"
        out += "no_new_privs  \(c.noNewPrivileges ? "yes" : "no")\n"
        out += "userns        \(c.userNamespace) owner \(c.owner) parent \(c.parent?.description ?? "-")\n"
        out += "uid_map       \(map(c.uidMap))\n"
        out += "gid_map       \(map(c.gidMap))\n"
        out += "setgroups     \(c.setgroups)\n"
        return out
    }
}
