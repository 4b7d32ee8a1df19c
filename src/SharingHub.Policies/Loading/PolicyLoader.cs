using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using SharingHub.Core.Agencies;
using SharingHub.Policies.Model;

namespace SharingHub.Policies.Loading;

/// <summary>
/// Reads a policy folder (agencies.yaml, purposes.yaml, data-classes.yaml, rules/*.yaml, actions.yaml), checks it
/// completely, and returns an immutable <see cref="PolicySet"/>, or throws one
/// <see cref="PolicyLoadException"/> listing every problem with its file and line.
/// </summary>
public static class PolicyLoader
{
    public static PolicySet Load(string directory, IReadOnlySet<string> knownFields)
    {
        var root = Path.GetFullPath(directory);
        var errors = new PolicyErrors();
        if (!Directory.Exists(root))
        {
            errors.Add(directory, 0, "policy folder not found");
            errors.ThrowIfAny();
        }
        var texts = new List<(string Name, string Text)>();
        string Read(string relative)
        {
            var path = Path.Combine(root, relative);
            var name = Path.Combine(Path.GetFileName(root), relative);
            if (!File.Exists(path))
            {
                errors.Add(name, 0, "file not found");
                return "";
            }
            var text = File.ReadAllText(path);
            texts.Add((name, text));
            return text;
        }

        var agenciesFile = Path.Combine(Path.GetFileName(root), "agencies.yaml");
        var agencyDoc = YamlMap.Parse(Read("agencies.yaml"), agenciesFile, errors);
        var agencies = agencyDoc is null ? [] : ReadAgencies(agencyDoc);
        var roles = agencyDoc is null ? [] : ReadRoles(agencyDoc, agencies);
        agencyDoc?.RejectUnknownKeys();

        var purposesFile = Path.Combine(Path.GetFileName(root), "purposes.yaml");
        var purposeDoc = YamlMap.Parse(Read("purposes.yaml"), purposesFile, errors);
        var purposes = purposeDoc is null ? [] : ReadPurposes(purposeDoc);
        purposeDoc?.RejectUnknownKeys();

        var classesFile = Path.Combine(Path.GetFileName(root), "data-classes.yaml");
        var classDoc = YamlMap.Parse(Read("data-classes.yaml"), classesFile, errors);
        var classes = classDoc is null ? [] : ReadDataClasses(classDoc, agencies);
        classDoc?.RejectUnknownKeys();

        var rules = new List<Rule>();
        var rulesFolder = Path.Combine(root, "rules");
        var ruleFiles = Directory.Exists(rulesFolder) ? Directory.GetFiles(rulesFolder, "*.yaml").Order(StringComparer.Ordinal).ToList() : [];
        if (ruleFiles.Count == 0)
        {
            errors.Add(Path.Combine(Path.GetFileName(root), "rules"), 0, "no rule files (rules/*.yaml): nothing would ever be shared");
        }
        var vocabulary = new Vocabulary(agencies, roles, purposes, classes, knownFields);
        foreach (var path in ruleFiles)
        {
            var relative = Path.GetRelativePath(root, path);
            var doc = YamlMap.Parse(Read(relative), Path.Combine(Path.GetFileName(root), relative), errors);
            if (doc is null)
            {
                continue;
            }
            rules.AddRange(doc.Maps("rules").Select(r => RuleReader.Read(r, vocabulary)).OfType<Rule>());
            doc.RejectUnknownKeys();
        }
        RuleChecks.CheckAcrossRules(rules, errors);
        // A role's declared purposes name real purposes, and no rule names the role for one it may not use.
        foreach (var (role, declared) in roles.Where(r => r.Purposes is not null).Select(r => (r, r.Purposes!)))
        {
            foreach (var unknown in declared.Where(p => purposes.All(x => x.Code != p)))
            {
                errors.Add(role.Location.File, role.Location.Line, $"role '{role.Code}' may use unknown purpose '{unknown}'");
            }
            foreach (var rule in rules.Where(r => r.Effect == RuleEffect.Permit && !r.AnyRole && r.Roles.Contains(role.Code)))
            {
                foreach (var purpose in (rule.AnyPurpose ? purposes.Select(p => p.Code) : rule.Purposes).Where(p => !declared.Contains(p)))
                {
                    errors.Add(rule.Location.File, rule.Location.Line, $"rule '{rule.Id}' names role '{role.Code}' for purpose '{purpose}', which agencies.yaml does not let the role use");
                }
            }
        }

        var organisationsFile = Path.Combine(Path.GetFileName(root), "organisations.yaml");
        var organisationDoc = YamlMap.Parse(Read("organisations.yaml"), organisationsFile, errors);
        var organisations = organisationDoc is null ? [] : ReadOrganisations(organisationDoc, agencies);
        organisationDoc?.RejectUnknownKeys();

        var actionsFile = Path.Combine(Path.GetFileName(root), "actions.yaml");
        var actionDoc = YamlMap.Parse(Read("actions.yaml"), actionsFile, errors);
        var actions = actionDoc is null ? [] : ReadActions(actionDoc, vocabulary);
        actionDoc?.RejectUnknownKeys();
        foreach (var purpose in purposes.Where(p => p.OnlyForAction is not null && actions.All(a => a.Code != p.OnlyForAction)))
        {
            errors.Add(purpose.Location.File, purpose.Location.Line, $"purpose '{purpose.Code}' is only for the action '{purpose.OnlyForAction}', which actions.yaml does not define");
        }
        errors.ThrowIfAny();

        return new PolicySet(
            agencies.ToFrozenDictionary(a => a.Code, StringComparer.Ordinal),
            roles.ToFrozenDictionary(r => r.Code, StringComparer.Ordinal),
            purposes.ToFrozenDictionary(p => p.Code, StringComparer.Ordinal),
            classes.ToFrozenDictionary(c => c.Code, StringComparer.Ordinal),
            rules,
            Version(texts))
        {
            Actions = actions.ToFrozenDictionary(a => a.Code, StringComparer.Ordinal),
            Organisations = organisations.ToFrozenDictionary(o => o.Code, StringComparer.Ordinal),
        };
    }

    private static readonly HashSet<string> OrganisationSchemes = ["ods", "urn", "police-force", "la-code", "probation-region"];

    private static List<Organisation> ReadOrganisations(YamlMap doc, List<Agency> agencies)
    {
        var organisations = new List<Organisation>();
        foreach (var entry in doc.Maps("organisations"))
        {
            var code = entry.String("code");
            var sector = entry.String("sector");
            var name = entry.String("name");
            var scheme = entry.String("scheme");
            var id = entry.String("id");
            var isDefault = entry.Bool("default", false);
            entry.RejectUnknownKeys();
            if (code is null || sector is null || name is null || scheme is null || id is null)
            {
                continue;
            }
            if (!AgencyCodes.IsWellFormed(code) || code == Rule.Any || organisations.Any(o => o.Code == code))
            {
                entry.Errors.Add(entry.File, entry.LineOf("code"), $"organisation code '{code}' must be unique, lower-case letters, digits and dashes, and not 'any'");
                continue;
            }
            if (agencies.All(a => a.Code != sector))
            {
                entry.Errors.Add(entry.File, entry.LineOf("sector"), $"organisation '{code}' is in unknown sector '{sector}'");
            }
            if (!OrganisationSchemes.Contains(scheme))
            {
                entry.Errors.Add(entry.File, entry.LineOf("scheme"), $"scheme must be one of {string.Join(", ", OrganisationSchemes)}, not '{scheme}'");
            }
            if (isDefault && code != sector)
            {
                // Records kept before organisations were, and tokens that name none, belong to the default: it carries the
                // sector's code so that what they say of their owner stays true.
                entry.Errors.Add(entry.File, entry.LineOf("code"), $"the default organisation of sector '{sector}' carries the sector's code, not '{code}'");
            }
            organisations.Add(new Organisation(code, sector, name, scheme, id, isDefault, new SourceLocation(entry.File, entry.Line)));
        }
        foreach (var agency in agencies)
        {
            var defaults = organisations.Count(o => o.Sector == agency.Code && o.IsDefault);
            if (defaults != 1)
            {
                var line = organisations.FirstOrDefault(o => o.Sector == agency.Code)?.Location.Line ?? Math.Max(1, doc.Line);
                doc.Errors.Add(doc.File, line, $"sector '{agency.Code}' needs exactly one default organisation, not {defaults}");
            }
        }
        return organisations;
    }

    private static List<ActionRule> ReadActions(YamlMap doc, Vocabulary vocabulary)
    {
        var actions = new List<ActionRule>();
        foreach (var entry in doc.Maps("actions"))
        {
            var code = entry.String("code");
            var description = entry.String("description");
            var agencies = RuleReader.Check(entry.Words("agencies"), vocabulary.Agencies.Select(a => a.Code), "agency", entry);
            var roles = RuleReader.Check(entry.Words("roles"), vocabulary.Roles.Select(r => r.Code), "role", entry, allowAny: false);
            var peopleOnly = entry.Bool("people-only", false);
            entry.RejectUnknownKeys();
            if (code is null || description is null || agencies is null || roles is null)
            {
                continue;
            }
            if (actions.Any(a => a.Code == code))
            {
                entry.Errors.Add(entry.File, entry.LineOf("code"), $"action '{code}' is defined twice");
                continue;
            }
            if (peopleOnly && roles.Contains("system"))
            {
                entry.Errors.Add(entry.File, entry.LineOf("people-only"), $"action '{code}' is for people only, yet names the role 'system'");
            }
            actions.Add(new ActionRule(code, description, agencies, roles, peopleOnly, new SourceLocation(entry.File, entry.Line)));
        }
        return actions;
    }

    private static List<Agency> ReadAgencies(YamlMap doc)
    {
        var agencies = new List<Agency>();
        foreach (var entry in doc.Maps("agencies"))
        {
            var code = entry.String("code");
            var name = entry.String("name");
            var regime = entry.String("regime") switch
            {
                "uk-gdpr" => Regime.UkGdpr,
                "law-enforcement" => Regime.LawEnforcement,
                null => Regime.UkGdpr,
                var other => Report(entry, "regime", $"regime must be uk-gdpr or law-enforcement, not '{other}'", Regime.UkGdpr),
            };
            entry.RejectUnknownKeys();
            if (code is null || name is null)
            {
                continue;
            }
            if (!AgencyCodes.IsWellFormed(code) || code == Rule.Any)
            {
                entry.Errors.Add(entry.File, entry.LineOf("code"), $"agency code '{code}' must be lower-case letters, digits and dashes, and not 'any'");
            }
            else if (agencies.Any(a => a.Code == code))
            {
                entry.Errors.Add(entry.File, entry.LineOf("code"), $"agency '{code}' is defined twice");
            }
            else
            {
                agencies.Add(new Agency(code, name, regime, new SourceLocation(entry.File, entry.Line)));
            }
        }
        return agencies;
    }

    private static List<Role> ReadRoles(YamlMap doc, List<Agency> agencies)
    {
        var roles = new List<Role>();
        var actsAs = new List<(Role Role, IReadOnlyList<(string Value, int Line)> Words, YamlMap Entry)>();
        foreach (var entry in doc.Maps("roles"))
        {
            var code = entry.String("code");
            var title = entry.String("title");
            var heldAt = entry.Words("agencies", required: false);
            var acts = entry.Words("acts-as", required: false);
            // Absent: whatever the rules allow the role; "none": no purpose at all (yet); else the list.
            var purposeWords = entry.Has("purposes") ? entry.Words("purposes").Where(p => p.Value != "none").ToList() : null;
            var queryOnly = entry.Bool("person-info-query-only", false);
            entry.RejectUnknownKeys();
            if (code is null || title is null)
            {
                continue;
            }
            if (roles.Any(r => r.Code == code) || code == Rule.Any)
            {
                entry.Errors.Add(entry.File, entry.LineOf("code"), $"role '{code}' is defined twice or uses the reserved word 'any'");
                continue;
            }
            foreach (var (agency, line) in heldAt.Where(a => agencies.All(g => g.Code != a.Value)))
            {
                entry.Errors.Add(entry.File, line, $"role '{code}' is held at unknown agency '{agency}'");
            }
            var role = new Role(code, title, new SourceLocation(entry.File, entry.Line))
            {
                Agencies = heldAt.Select(a => a.Value).ToHashSet(StringComparer.Ordinal),
                ActsAs = acts.Select(a => a.Value).ToHashSet(StringComparer.Ordinal),
                Purposes = purposeWords?.Select(p => p.Value).ToHashSet(StringComparer.Ordinal),
                PersonInfoQueryOnly = queryOnly,
            };
            if (queryOnly && (acts.Count > 0 || purposeWords is null))
            {
                entry.Errors.Add(entry.File, entry.LineOf("person-info-query-only"), $"role '{code}' only asks the person-info-query: it names its purposes and acts as no other role");
            }
            roles.Add(role);
            actsAs.Add((role, acts, entry));
        }
        // A role acts as roles that are defined and act as nothing themselves: one step, so what a role can do is read in one place.
        foreach (var (role, words, entry) in actsAs)
        {
            foreach (var (other, line) in words)
            {
                var target = roles.FirstOrDefault(r => r.Code == other);
                if (target is null || target.Code == role.Code)
                {
                    entry.Errors.Add(entry.File, line, $"role '{role.Code}' acts as unknown role '{other}'");
                }
                else if (target.ActsAs.Count > 0)
                {
                    entry.Errors.Add(entry.File, line, $"role '{role.Code}' acts as '{other}', which acts as others in turn: name the roles it acts as directly");
                }
            }
        }
        return roles;
    }

    private static List<Purpose> ReadPurposes(YamlMap doc)
    {
        var purposes = new List<Purpose>();
        foreach (var entry in doc.Maps("purposes"))
        {
            var code = entry.String("code");
            var title = entry.String("title");
            var description = entry.String("description");
            var basis = entry.Map("lawful-basis");
            var gdpr = basis?.String("uk-gdpr");
            var lawEnforcement = basis?.String("law-enforcement");
            basis?.RejectUnknownKeys();
            var consent = entry.String("consent") switch
            {
                "required" => ConsentRule.Required,
                "not-required" => ConsentRule.NotRequired,
                "not-sought" => ConsentRule.NotSought,
                null => ConsentRule.Required,
                var other => Report(entry, "consent", $"consent must be required, not-required or not-sought, not '{other}'", ConsentRule.Required),
            };
            var sourceWords = entry.Words("sources");
            var requiresEnquiry = entry.Bool("requires-enquiry", false);
            var requiresReferral = entry.Bool("requires-referral", false);
            var graceText = entry.String("referral-grace-hours", required: false);
            var overrideAllowed = entry.Bool("override-allowed", false);
            var aggregateOnly = entry.Bool("aggregate-only", false);
            var onlyForAction = entry.String("only-for-action", required: false);
            var reasonText = entry.String("mais-reason", required: !aggregateOnly);
            var maisDefault = entry.Bool("mais-default", false);
            var stageWords = entry.Has("case-stages") ? entry.Words("case-stages") : null;
            entry.RejectUnknownKeys();
            HashSet<Core.Records.CaseStage>? stages = null;
            if (stageWords is not null)
            {
                stages = [];
                foreach (var (word, line) in stageWords)
                {
                    if (CaseStageNames.Parse(word) is { } stage)
                    {
                        stages.Add(stage);
                    }
                    else
                    {
                        entry.Errors.Add(entry.File, line, $"'{word}' is not a stage of a child protection case ({string.Join(", ", CaseStageNames.All)})");
                    }
                }
                if (!requiresEnquiry)
                {
                    entry.Errors.Add(entry.File, entry.LineOf("case-stages"), $"purpose '{code}' names case stages but is not bound to a child protection case (requires-enquiry)");
                }
            }
            if (code is null || title is null || description is null || gdpr is null || lawEnforcement is null || (reasonText is null && !aggregateOnly))
            {
                continue;
            }
            if (aggregateOnly && (reasonText is not null || maisDefault || requiresEnquiry || requiresReferral || overrideAllowed || consent != ConsentRule.NotRequired))
            {
                entry.Errors.Add(entry.File, entry.LineOf("aggregate-only"),
                    $"purpose '{code}' reads aggregates only: it is bound to no case, needs no consent (consent: not-required), allows no override and has no mais-reason");
                continue;
            }
            Uri? reason = null;
            if (reasonText is not null && (!Uri.TryCreate(reasonText, UriKind.Absolute, out reason) || reason.Scheme != Uri.UriSchemeHttps))
            {
                entry.Errors.Add(entry.File, entry.LineOf("mais-reason"), $"mais-reason must be an absolute https URI, not '{reasonText}'");
                continue;
            }
            var sources = new List<Uri>();
            foreach (var (text, line) in sourceWords)
            {
                if (Uri.TryCreate(text, UriKind.Absolute, out var source) && source.Scheme == Uri.UriSchemeHttps)
                {
                    sources.Add(source);
                }
                else
                {
                    entry.Errors.Add(entry.File, line, $"a source of a lawful basis is the https address of the statute or guidance, not '{text}'");
                }
            }
            var grace = 0;
            if (graceText is not null && (!requiresReferral || !int.TryParse(graceText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out grace) || grace > 24 * 30))
            {
                entry.Errors.Add(entry.File, entry.LineOf("referral-grace-hours"),
                    $"referral-grace-hours is 0 to 720 hours, for a purpose that requires a referral, not '{graceText}'");
            }
            if (requiresReferral && requiresEnquiry)
            {
                entry.Errors.Add(entry.File, entry.LineOf("requires-referral"), $"purpose '{code}' is bound to one case: a referral or an enquiry, not both");
            }
            if (overrideAllowed && consent != ConsentRule.Required)
            {
                entry.Errors.Add(entry.File, entry.LineOf("override-allowed"),
                    $"purpose '{code}' allows an override but does not require consent: an override only ever stands in for missing consent");
            }
            if (purposes.Any(p => p.Code == code) || code == Rule.Any)
            {
                entry.Errors.Add(entry.File, entry.LineOf("code"), $"purpose '{code}' is defined twice or uses the reserved word 'any'");
                continue;
            }
            if (maisDefault && purposes.Any(p => p.MaisDefault && p.MaisReason == reason))
            {
                entry.Errors.Add(entry.File, entry.LineOf("mais-default"), $"another purpose is already the default for the reason {reason}");
            }
            purposes.Add(new Purpose(code, title, description, gdpr, lawEnforcement, consent, requiresEnquiry, overrideAllowed, reason,
                new SourceLocation(entry.File, entry.Line))
            {
                RequiresReferral = requiresReferral, ReferralGraceHours = grace, Sources = sources, MaisDefault = maisDefault, CaseStages = stages, AggregateOnly = aggregateOnly,
                OnlyForAction = onlyForAction,
            });
        }
        return purposes;
    }

    private static List<DataClass> ReadDataClasses(YamlMap doc, List<Agency> agencies)
    {
        var classes = new List<DataClass>();
        foreach (var entry in doc.Maps("data-classes"))
        {
            var code = entry.String("code");
            var owner = entry.String("owner");
            var sensitivity = entry.String("sensitivity") switch
            {
                "normal" => Sensitivity.Normal,
                "sensitive" => Sensitivity.Sensitive,
                "restricted" => Sensitivity.Restricted,
                null => Sensitivity.Normal,
                var other => Report(entry, "sensitivity", $"sensitivity must be normal, sensitive or restricted, not '{other}'", Sensitivity.Normal),
            };
            var isProtected = entry.Bool("protected", false);
            var namedOnly = entry.Bool("named-only", false);
            var description = entry.String("description");
            entry.RejectUnknownKeys();
            if (code is null || owner is null || description is null)
            {
                continue;
            }
            if (owner != DataClass.AnyOwner && agencies.All(a => a.Code != owner))
            {
                entry.Errors.Add(entry.File, entry.LineOf("owner"), $"data class '{code}' names unknown owner agency '{owner}'");
                continue;
            }
            if (classes.Any(c => c.Code == code) || code == Rule.Any)
            {
                entry.Errors.Add(entry.File, entry.LineOf("code"), $"data class '{code}' is defined twice or uses the reserved word 'any'");
                continue;
            }
            classes.Add(new DataClass(code, owner, sensitivity, isProtected, description, new SourceLocation(entry.File, entry.Line)) { NamedOnly = namedOnly });
        }
        return classes;
    }

    private static T Report<T>(YamlMap entry, string key, string message, T fallback)
    {
        entry.Errors.Add(entry.File, entry.LineOf(key), message);
        return fallback;
    }

    /// <summary>A short hash of every policy file: decisions and audit entries name the policy version they used.</summary>
    private static string Version(List<(string Name, string Text)> texts)
    {
        var all = string.Join("\n", texts.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => $"{t.Name}\n{t.Text}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(all)))[..12];
    }
}

internal sealed record Vocabulary(
    IReadOnlyList<Agency> Agencies,
    IReadOnlyList<Role> Roles,
    IReadOnlyList<Purpose> Purposes,
    IReadOnlyList<DataClass> DataClasses,
    IReadOnlySet<string> Fields)
{
    public Purpose? Purpose(string code) => Purposes.FirstOrDefault(p => p.Code == code);
    public DataClass? DataClass(string code) => DataClasses.FirstOrDefault(c => c.Code == code);
}
