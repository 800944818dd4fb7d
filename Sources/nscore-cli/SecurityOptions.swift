import NSCore

/// `nscore run`'s capability, no_new_privs and resource limit options, in docker run's spellings (`--cap-add`,
/// `--cap-drop`, `--privileged`; `--security-opt no-new-privileges` as `--no-new-privileges`)
/// and util-linux unshare's `--keep-caps`, turned into ``SpawnConfiguration/capabilities`` and
/// ``SpawnConfiguration/noNewPrivileges`` (their help is in RunCommand.help).
///
/// Capabilities, from the base up:
/// - the base: every capability with `--privileged`, else Docker's default set once
///   `--cap-add` or `--cap-drop` is given (with or without `--rootfs`);
/// - `--cap-add` and `--cap-drop` as Docker combines them: with `--cap-add ALL`, every
///   capability but those dropped; otherwise the drops first, then the additions (so
///   `--cap-drop ALL --cap-add CHOWN` is CHOWN alone, and a capability both added and dropped
///   is kept). With `--privileged`, Docker ignores both; here `--cap-drop` still applies;
/// - `--keep-caps`: inheritable and ambient become the permitted set of the above, or, with no
///   other capability option, of the default (Docker's set with `--rootfs`, every capability
///   for a plain spawn), so that the command keeps them across exec under any uid.
///
/// No option given leaves both settings nil (the engine's defaults) and builds nothing: the
/// state is a few integers, and names are parsed only when an option is given.
struct SecurityOptions {
    static func add(to t: inout OptionTable) {
        t.add(OptionSpec("cap-add", value: .required))
        t.add(OptionSpec("cap-drop", value: .required))
        t.add(OptionSpec("privileged"))
        t.add(OptionSpec("no-new-privileges"))
        t.add(OptionSpec("new-privileges"))
        t.add(OptionSpec("keep-caps"))
        t.add(OptionSpec("ulimit", value: .required))
        t.add(OptionSpec("oom-score-adj", value: .required))
    }

    /// The union of every `--cap-add`; nil when none was given.
    private var added: CapabilitySet?
    /// The union of every `--cap-drop`; nil when none was given.
    private var dropped: CapabilitySet?
    private var privileged = false
    private var keepCaps = false
    /// `--no-new-privileges` (true) or `--new-privileges` (false), the last one given.
    private var noNewPrivileges: Bool?
    /// Every `--ulimit`, in order; nil when none was given.
    private var rlimits: [ResourceLimit]?
    private var oomScoreAdj: Int32?

    /// Applies `option`; false when it is not one of these.
    mutating func apply(_ option: ParsedOption, _ parser: ArgumentParser) throws(CLIError) -> Bool {
        switch option.name {
        case "cap-add": added = (added ?? []).union(try Self.capabilities(option, parser))
        case "cap-drop": dropped = (dropped ?? []).union(try Self.capabilities(option, parser))
        case "privileged": privileged = true
        case "no-new-privileges": noNewPrivileges = true
        case "new-privileges": noNewPrivileges = false
        case "keep-caps": keepCaps = true
        case "ulimit":
            let text = option.value ?? ""
            let limit: ResourceLimit
            do {
                limit = try ResourceLimit(parsing: text)
            } catch {
                throw parser.usage("invalid value '\(text)' for '\(option.spelling)': \(error.message)")
            }
            // A later --ulimit of the same resource replaces the earlier one (as docker).
            rlimits = (rlimits ?? []).filter { $0.resource != limit.resource } + [limit]
        case "oom-score-adj":
            let text = option.value ?? ""
            guard let n = Int32(text), n >= -1000, n <= 1000 else {
                throw parser.usage("invalid value '\(text)' for '\(option.spelling)': expected a number from -1000 to 1000")
            }
            oomScoreAdj = n
        default: return false
        }
        return true
    }

    /// Sets `config.capabilities` and `config.noNewPrivileges` when an option asks to; call it
    /// once `config.root` is known (it chooses the `--keep-caps` base). Inlined: without these
    /// options, `nscore run` only tests the state and calls nothing.
    @inline(__always)
    func configure(_ config: inout SpawnConfiguration) {
        if privileged || keepCaps || noNewPrivileges != nil || added != nil || dropped != nil || rlimits != nil
            || oomScoreAdj != nil {
            configureGiven(&config)
        }
    }

    /// ``configure(_:)`` once an option was given.
    @inline(never)
    private func configureGiven(_ config: inout SpawnConfiguration) {
        if let rlimits { config.rlimits = rlimits }
        if let oomScoreAdj { config.oomScoreAdj = oomScoreAdj }
        if let noNewPrivileges {
            config.noNewPrivileges = noNewPrivileges
        } else if privileged {
            config.noNewPrivileges = false
        }
        var caps: Capabilities
        if privileged || added != nil || dropped != nil {
            caps = privileged ? .all : .dockerDefault
            // Docker's order (Capabilities.adding): the drops first, then the additions; with
            // --cap-add ALL, everything but the drops.
            caps = caps.adding(added ?? [], dropping: dropped ?? [])
        } else if keepCaps {
            caps = config.root != nil ? .dockerDefault : .all
        } else {
            return
        }
        if keepCaps {
            caps.inheritable = caps.permitted
            caps.ambient = caps.permitted
        }
        config.capabilities = caps
    }

    /// The capabilities `CAP[,CAP...]` names (`ALL` is every one), or a usage error that names
    /// the option and the value, with the engine's message (which lists the valid names).
    private static func capabilities(_ option: ParsedOption, _ parser: ArgumentParser) throws(CLIError) -> CapabilitySet {
        let text = option.value ?? ""
        do {
            return try CapabilitySet(names: text.split(separator: ",", omittingEmptySubsequences: false).map(String.init))
        } catch {
            throw parser.usage("invalid value '\(text)' for '\(option.spelling)': \(error.message)")
        }
    }
}
