using SharingHub.Policies.Decisions;

namespace SharingHub.Server.Workflow;

internal sealed record MemberInput(string Agency, string User, string Role);

/// <summary>Who may be named as a member or attendee: an agency in the policy, a user subject and a role.</summary>
internal static partial class EnquiryEndpoints
{
    /// <summary>Every problem with a list of people (members or attendees), each keyed by its place in the list.</summary>
    internal static void AddMemberErrors(IReadOnlyList<MemberInput> members, PolicyDecisionPoint policy, FieldErrors errors, string field)
    {
        errors.When(members.Count > 50, field, $"{field}: at most 50");
        for (var i = 0; i < Math.Min(members.Count, 50); i++)
        {
            var m = members[i];
            errors.When(!policy.Policy.Agencies.ContainsKey(m.Agency ?? ""), $"{field}[{i}].agency", $"{field}: '{m.Agency}' is not an agency in the policy")
                .When(string.IsNullOrWhiteSpace(m.User) || m.User.Length > 256, $"{field}[{i}].user", $"{field}[{i}].user: the user's subject at their agency's identity provider is required")
                .When(string.IsNullOrWhiteSpace(m.Role) || m.Role.Length > 32, $"{field}[{i}].role", $"{field}[{i}].role: a role of up to 32 characters (lcpp, police, health, education or another) is required");
        }
    }

    /// <summary>The problems with one member being added, as one message (a change answers one 422), or null.</summary>
    internal static string? MemberProblem(IReadOnlyList<MemberInput> members, PolicyDecisionPoint policy)
    {
        var errors = new FieldErrors();
        AddMemberErrors(members, policy, errors, "members");
        return errors.Any ? errors.Detail : null;
    }
}
