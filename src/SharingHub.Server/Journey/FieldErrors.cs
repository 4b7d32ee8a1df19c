namespace SharingHub.Server.Workflow;

/// <summary>
/// Every problem a request body has, keyed by the field at fault ("grounds", "members[1].agency"), so a page's
/// error summary can list them all and mark each field. Answered as RFC 9457 validation problem JSON (422) with
/// the same messages joined in <c>detail</c> for a caller who reads only that.
/// </summary>
internal sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public FieldErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            messages = [];
            _errors[field] = messages;
        }
        messages.Add(message);
        return this;
    }

    /// <summary>Adds <paramref name="message"/> for <paramref name="field"/> when <paramref name="failed"/> holds.</summary>
    public FieldErrors When(bool failed, string field, string message) => failed ? Add(field, message) : this;

    /// <summary>Each field at fault with its first message, for a page's error summary.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> First => _errors.Select(e => new KeyValuePair<string, string>(e.Key, e.Value[0])).ToList();

    /// <summary>Every message, in the order found, as sentences.</summary>
    public string Detail => string.Join(" ", _errors.SelectMany(e => e.Value.Select(m => m.EndsWith('.') ? m : m + ".")));

    public IResult ToResult() => Results.ValidationProblem(
        _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal),
        detail: Detail,
        statusCode: StatusCodes.Status422UnprocessableEntity,
        title: "The request has errors");
}
