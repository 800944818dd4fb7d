/// The OCI runtime spec's JSON form of `linux.seccomp`, both ways.
///
/// - `defaultAction` and a rule's `action` are `SCMP_ACT_*`; `defaultErrnoRet` / `errnoRet`
///   give the errno of `SCMP_ACT_ERRNO` (EPERM when absent) and the value of `SCMP_ACT_TRACE`
///   (runc's reading); `SCMP_ACT_KILL` is `SCMP_ACT_KILL_THREAD`.
/// - `architectures` are `SCMP_ARCH_*`; `flags` are `SECCOMP_FILTER_FLAG_*`.
/// - A rule has `names` (or the older single `name`), `action`, `errnoRet` and `args`
///   (`index`, `value`, `valueTwo`, `op`).
/// - `listenerPath` and `listenerMetadata` are refused: NSCore gives the listener to its caller
///   (``Container/seccompListener``) instead of sending it to a socket.
/// - Docker's profile format (`archMap`, `includes`, `excludes`) is not OCI and is refused,
///   rather than read with its conditions dropped.
/// - A whole `config.json` is accepted too: its `linux.seccomp` is read.
extension Seccomp {
    /// Reads an OCI `linux.seccomp` object (or a `config.json` holding one).
    /// - Throws: ``NSCoreError`` naming the place (`syscalls[3].args[0].op`) and what is wrong.
    public init(json: String) throws(NSCoreError) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(json)
        } catch {
            throw .invalid("seccomp", "seccomp: the profile is not valid JSON: \(error)")
        }
        do throws(JSONPathError) {
            self = try Self.decode(root)
        } catch {
            throw .invalid("seccomp", "seccomp: \(error)")
        }
    }

    private static func decode(_ root: JSONValue) throws(JSONPathError) -> Seccomp {
        var value = root
        var path = ""
        if let top = try? root.object(at: ""), top["linux"] != nil {
            // A config.json: its linux.seccomp.
            let linux = try root.member("linux", at: "")
            guard let s = try linux.object(at: "linux")["seccomp"] else {
                throw JSONPathError(path: "linux", message: "has no seccomp member")
            }
            value = s
            path = "linux.seccomp"
        }
        let o = try value.object(at: path)
        func p(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
        if o["archMap"] != nil {
            throw JSONPathError(path: p("archMap"), message: "is Docker's profile format, not the OCI runtime spec's; "
                                + "use `architectures`, or NSCore's default profile (Seccomp.default)")
        }
        for bad in ["listenerPath", "listenerMetadata"] where o[bad] != nil {
            if case .string(let s) = o[bad]!, s.isEmpty { continue }
            throw JSONPathError(path: p(bad), message: "is not supported: NSCore hands the listener fd to its caller (Container.seccompListener)")
        }
        try o.rejectUnknown(keys: ["defaultAction", "defaultErrnoRet", "architectures", "flags", "syscalls",
                                   "listenerPath", "listenerMetadata"], at: path)
        var s = Seccomp(defaultAction: try action(o, "defaultAction", "defaultErrnoRet", at: path))
        if let archs = o.optionalMember("architectures") {
            for (i, a) in try archs.array(at: p("architectures")).enumerated() {
                let name = try a.string(at: p("architectures[\(i)]"))
                guard let arch = Architecture(rawValue: name) else {
                    throw JSONPathError(path: p("architectures[\(i)]"), message: "unknown architecture '\(name)'; the known ones are "
                                        + Architecture.allCases.map(\.rawValue).joined(separator: ", "))
                }
                s.architectures.append(arch)
            }
        }
        if let flags = o.optionalMember("flags") {
            for (i, f) in try flags.array(at: p("flags")).enumerated() {
                let name = try f.string(at: p("flags[\(i)]"))
                guard let flag = Flags.names.first(where: { $0.1 == name })?.0 else {
                    throw JSONPathError(path: p("flags[\(i)]"), message: "unknown flag '\(name)'; the known ones are "
                                        + Flags.names.map(\.1).joined(separator: ", "))
                }
                s.flags.insert(flag)
            }
        }
        if let rules = o.optionalMember("syscalls") {
            for (i, r) in try rules.array(at: p("syscalls")).enumerated() {
                s.syscalls.append(try rule(r, at: p("syscalls[\(i)]")))
            }
        }
        return s
    }

    private static func rule(_ value: JSONValue, at path: String) throws(JSONPathError) -> Rule {
        let o = try value.object(at: path)
        for docker in ["includes", "excludes"] where o[docker] != nil {
            throw JSONPathError(path: path + "." + docker, message: "is Docker's profile format, not the OCI runtime spec's: "
                                + "its conditions cannot be read as OCI; list the rules that apply")
        }
        try o.rejectUnknown(keys: ["names", "name", "action", "errnoRet", "args", "comment"], at: path)
        var names: [String] = []
        if let list = o.optionalMember("names") {
            for (j, n) in try list.array(at: path + ".names").enumerated() {
                names.append(try n.string(at: path + ".names[\(j)]"))
            }
        }
        if let one = o.optionalMember("name") { names.append(try one.string(at: path + ".name")) }
        if names.isEmpty {
            throw JSONPathError(path: path + ".names", message: "is missing or empty; name at least one syscall")
        }
        var rule = Rule(names: names, action: try action(o, "action", "errnoRet", at: path))
        if let args = o.optionalMember("args") {
            for (j, a) in try args.array(at: path + ".args").enumerated() {
                let ap = path + ".args[\(j)]"
                let ao = try a.object(at: ap)
                try ao.rejectUnknown(keys: ["index", "value", "valueTwo", "op"], at: ap)
                let opName = try ao.member("op", at: ap).string(at: ap + ".op")
                guard let op = Operator(rawValue: opName) else {
                    throw JSONPathError(path: ap + ".op", message: "unknown operator '\(opName)'; the known ones are "
                                        + Operator.allCases.map(\.rawValue).joined(separator: ", "))
                }
                let index = try ao.member("index", at: ap).uint64(at: ap + ".index")
                guard index <= 5 else {
                    throw JSONPathError(path: ap + ".index", message: "is \(index); a syscall has arguments 0 to 5")
                }
                let v = try ao.optionalMember("value").map { v throws(JSONPathError) in try v.uint64(at: ap + ".value") } ?? 0
                let v2 = try ao.optionalMember("valueTwo").map { v throws(JSONPathError) in try v.uint64(at: ap + ".valueTwo") } ?? 0
                rule.arguments.append(Argument(index: UInt32(index), value: v, valueTwo: v2, op: op))
            }
        }
        return rule
    }

    private static func action(_ o: JSONObject, _ key: String, _ errnoKey: String, at path: String) throws(JSONPathError) -> Action {
        let p = path.isEmpty ? key : path + "." + key
        let name = try o.member(key, at: path).string(at: p)
        let ret: Int64? = try o.optionalMember(errnoKey).map { v throws(JSONPathError) in
            try v.int64(at: path.isEmpty ? errnoKey : path + "." + errnoKey)
        }
        switch name {
        case "SCMP_ACT_ALLOW": return .allow
        case "SCMP_ACT_ERRNO":
            let e = ret ?? 1
            guard (0...4095).contains(e) else {
                throw JSONPathError(path: path.isEmpty ? errnoKey : path + "." + errnoKey, message: "errno \(e) is out of range; an errno is 0 to 4095")
            }
            return .errno(Int32(e))
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return .killThread
        case "SCMP_ACT_KILL_PROCESS": return .killProcess
        case "SCMP_ACT_TRAP": return .trap
        case "SCMP_ACT_TRACE":
            let v = ret ?? 0
            guard (0...0xffff).contains(v) else {
                throw JSONPathError(path: path.isEmpty ? errnoKey : path + "." + errnoKey, message: "trace value \(v) is out of range (0 to 65535)")
            }
            return .trace(UInt16(v))
        case "SCMP_ACT_LOG": return .log
        case "SCMP_ACT_NOTIFY": return .notify
        default:
            throw JSONPathError(path: p, message: "unknown action '\(name)'; the known ones are SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, "
                                + "SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE, "
                                + "SCMP_ACT_LOG, SCMP_ACT_NOTIFY")
        }
    }

    /// The profile as an OCI `linux.seccomp` object. For ``default``, the rules for the
    /// calling thread's bounding set (use ``default(capabilities:)`` for another).
    public var json: String {
        let s = resolved(capabilities: followsCapabilities ? .currentBounding : CapabilitySet())
        var w = JSONWriter()
        w.beginObject()
        Self.writeAction(s.defaultAction, "defaultAction", "defaultErrnoRet", &w)
        w.key("architectures")
        w.beginArray()
        for a in s.architectures { w.value(a.rawValue) }
        w.endArray()
        if !s.flags.isEmpty {
            w.key("flags")
            w.beginArray()
            for (f, name) in Flags.names where s.flags.contains(f) { w.value(name) }
            w.endArray()
        }
        w.key("syscalls")
        w.beginArray()
        for r in s.syscalls {
            w.beginObject()
            w.key("names")
            w.beginArray()
            for n in r.names { w.value(n) }
            w.endArray()
            Self.writeAction(r.action, "action", "errnoRet", &w)
            if !r.arguments.isEmpty {
                w.key("args")
                w.beginArray()
                for a in r.arguments {
                    w.beginObject()
                    w.field("index", a.index)
                    w.field("value", a.value)
                    w.field("valueTwo", a.valueTwo)
                    w.field("op", a.op.rawValue)
                    w.endObject()
                }
                w.endArray()
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.string
    }

    private static func writeAction(_ a: Action, _ key: String, _ errnoKey: String, _ w: inout JSONWriter) {
        switch a {
        case .errno(let e):
            w.field(key, "SCMP_ACT_ERRNO")
            w.field(errnoKey, e)
        case .trace(let v):
            w.field(key, "SCMP_ACT_TRACE")
            w.field(errnoKey, v)
        case .killThread: w.field(key, "SCMP_ACT_KILL_THREAD")
        default: w.field(key, a.description)
        }
    }
}
