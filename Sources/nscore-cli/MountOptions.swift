import NSCore

/// `nscore run`'s root filesystem and mount options, in Docker's spellings, turned into the
/// OCI-named settings of ``SpawnConfiguration`` (their help is in RunCommand.help, a literal:
/// an interpolated one would be built at every start).
enum MountOptions {
    static func add(to t: inout OptionTable) {
        t.add(OptionSpec("rootfs", value: .required))
        t.add(OptionSpec("read-only"))
        t.add(OptionSpec("idmap"))
        t.add(OptionSpec("no-default-mounts"))
        t.add(OptionSpec("tmpfs", value: .required))
        t.add(OptionSpec("volume", "v", value: .required))
        t.add(OptionSpec("masked-paths", value: .required))
        t.add(OptionSpec("readonly-paths", value: .required))
    }

    /// Applies `option` to `config`; false when it is not one of these.
    static func apply(_ option: ParsedOption, to config: inout SpawnConfiguration, readOnly: inout Bool,
                      idmap: inout Bool, _ parser: ArgumentParser) throws(CLIError) -> Bool {
        switch option.name {
        case "rootfs": config.root = Root(path: try parser.nonEmpty(option))
        case "read-only": readOnly = true
        case "idmap": idmap = true
        case "no-default-mounts": config.defaultMounts = false
        case "mount": config.mounts.append(try mountSpec(try parser.nonEmpty(option), option, parser))
        case "tmpfs":
            let v = try parser.nonEmpty(option)
            let parts = v.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            var o = ["nosuid", "nodev"]
            if parts.count == 2 { o += parts[1].split(separator: ",").map(String.init) }
            config.mounts.append(Mount(destination: String(parts[0]), type: "tmpfs", source: "tmpfs", options: o))
        case "volume":
            let v = try parser.nonEmpty(option)
            let parts = v.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw parser.usage("invalid volume '\(v)' for '\(option.spelling)': expected SRC:DST[:OPTS]")
            }
            var o = ["rbind"]
            if parts.count == 3 { o += parts[2].split(separator: ",").map(String.init) }
            config.mounts.append(Mount(destination: parts[1], type: "bind", source: parts[0], options: o))
        case "masked-paths": config.maskedPaths = list(option.value ?? "")
        case "readonly-paths": config.readonlyPaths = list(option.value ?? "")
        default: return false
        }
        config.namespaces.insert(.mount)
        return true
    }

    private static func list(_ v: String) -> [String] { v.split(separator: ",").map(String.init) }

    /// Docker's `--mount` syntax: `type=`, `source=`/`src=`, `target=`/`destination=`/`dst=`,
    /// `readonly`/`ro`, `propagation=`/`bind-propagation=`, `tmpfs-size=`, `tmpfs-mode=`; any
    /// other word is an OCI option (`nosuid`, `size=64m`, `lowerdir=...`).
    static func mountSpec(_ v: String, _ option: ParsedOption, _ parser: ArgumentParser) throws(CLIError) -> Mount {
        var m = Mount(destination: "")
        for word in v.split(separator: ",") {
            let kv = word.split(separator: "=", maxSplits: 1).map(String.init)
            let key = kv[0], value = kv.count == 2 ? kv[1] : nil
            switch (key, value) {
            case ("type", let t?): m.type = t
            case ("source", let s?), ("src", let s?): m.source = s
            case ("target", let d?), ("destination", let d?), ("dst", let d?): m.destination = d
            case ("readonly", nil), ("ro", nil), ("readonly", "true"), ("ro", "true"), ("readonly", "1"), ("ro", "1"):
                m.options.append("ro")
            case ("readonly", "false"), ("ro", "false"), ("readonly", "0"), ("ro", "0"): break
            case ("readonly", let x?), ("ro", let x?):
                throw parser.usage("invalid value '\(x)' for \(key) in '\(v)' (expected true or false)")
            case ("propagation", let p?), ("bind-propagation", let p?):
                let bare = p.hasPrefix("r") ? String(p.dropFirst()) : p
                guard MountPropagation.allCases.contains(where: { $0.description == bare }) else {
                    throw parser.usage("invalid propagation '\(p)' in '\(v)' (expected private, shared, slave, "
                                       + "unbindable or shared+slave, or one of those with an r prefix)")
                }
                m.options.append(p)
            case ("tmpfs-size", let s?): m.options.append("size=" + s)
            case ("tmpfs-mode", let s?): m.options.append("mode=" + s)
            default: m.options.append(String(word))
            }
        }
        if m.destination.isEmpty {
            throw parser.usage("invalid mount '\(v)' for '\(option.spelling)': it needs dst=PATH (or target=)")
        }
        if m.type == nil {
            throw parser.usage("invalid mount '\(v)' for '\(option.spelling)': it needs type=bind, tmpfs, ...")
        }
        if m.type == "bind" && !m.options.contains("bind") { m.options.insert("rbind", at: 0) }
        if m.type == "tmpfs" && m.source == nil { m.source = "tmpfs" }
        return m
    }
}
