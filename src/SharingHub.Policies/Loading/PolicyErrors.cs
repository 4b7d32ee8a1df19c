namespace SharingHub.Policies.Loading;

public sealed record PolicyError(string File, int Line, string Reason)
{
    public override string ToString() => $"{File}:{Line}: {Reason}";
}

/// <summary>A policy that does not load stops the hub; the message names every file, line and reason found.</summary>
public sealed class PolicyLoadException(IReadOnlyList<PolicyError> errors)
    : Exception($"the policies are invalid ({errors.Count} error{(errors.Count == 1 ? "" : "s")}):\n  " + string.Join("\n  ", errors))
{
    public IReadOnlyList<PolicyError> Errors { get; } = errors;
}

internal sealed class PolicyErrors
{
    private readonly List<PolicyError> _errors = [];

    public bool Any => _errors.Count > 0;

    public void Add(string file, int line, string reason) => _errors.Add(new PolicyError(file, line, reason));

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new PolicyLoadException(_errors.OrderBy(e => e.File, StringComparer.Ordinal).ThenBy(e => e.Line).ToList());
        }
    }
}
