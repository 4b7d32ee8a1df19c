using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace SharingHub.Policies.Loading;

/// <summary>
/// A YAML mapping read strictly: every key is either read or reported as unknown, every missing or
/// mistyped value is reported with its line, and reading goes on so one run reports every error.
/// </summary>
internal sealed class YamlMap(YamlMappingNode node, string file, PolicyErrors errors)
{
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public string File => file;
    public int Line => (int)node.Start.Line;
    public PolicyErrors Errors => errors;

    public static YamlMap? Parse(string text, string file, PolicyErrors errors)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            errors.Add(file, (int)e.Start.Line, $"not valid YAML: {e.Message}");
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // ArgumentException too: an unsupported event where a node was expected, or a global tag that is not a URI.
            // YamlDotNet's scanner gives up on some malformed input without a position (found by the parser runs, issue 28).
            errors.Add(file, 1, "not valid YAML: the parser could not read the file past a malformed token");
            return null;
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add(file, 1, "expected exactly one YAML document whose top level is a mapping");
            return null;
        }
        return new YamlMap(root, file, errors);
    }

    /// <summary>Whether the map names the key at all (an optional list whose absence and "none" differ).</summary>
    public bool Has(string key) => node.Children.ContainsKey(new YamlScalarNode(key));

    public int LineOf(string key) =>
        node.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value == key) is { } k ? (int)k.Start.Line : Line;

    public string? String(string key, bool required = true)
    {
        var value = Get(key, required);
        if (value is null)
        {
            return null;
        }
        if (value is YamlScalarNode { Value: { Length: > 0 } text })
        {
            return text.Trim();
        }
        errors.Add(file, (int)value.Start.Line, $"'{key}' must be a non-empty text value");
        return null;
    }

    public bool Bool(string key, bool defaultValue)
    {
        var text = String(key, required: false);
        return text switch
        {
            null => defaultValue,
            "true" => true,
            "false" => false,
            _ => Fail(key, $"'{key}' must be true or false, not '{text}'", defaultValue),
        };
    }

    public int? Int(string key)
    {
        var text = String(key, required: false);
        if (text is null)
        {
            return null;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : Fail<int?>(key, $"'{key}' must be a positive whole number, not '{text}'", null);
    }

    /// <summary>A list of words, written either as a YAML sequence or as a single word.</summary>
    public IReadOnlyList<(string Value, int Line)> Words(string key, bool required = true)
    {
        var value = Get(key, required);
        switch (value)
        {
            case null:
                return [];
            case YamlScalarNode { Value: { Length: > 0 } single }:
                return [(single.Trim(), (int)value.Start.Line)];
            case YamlSequenceNode sequence when sequence.Children.Count > 0:
                var words = new List<(string, int)>();
                foreach (var item in sequence.Children)
                {
                    if (item is YamlScalarNode { Value: { Length: > 0 } word })
                    {
                        words.Add((word.Trim(), (int)item.Start.Line));
                    }
                    else
                    {
                        errors.Add(file, (int)item.Start.Line, $"each entry of '{key}' must be a single word");
                    }
                }
                return words;
            default:
                errors.Add(file, (int)value.Start.Line, $"'{key}' must be a word or a non-empty list of words");
                return [];
        }
    }

    public YamlMap? Map(string key, bool required = true)
    {
        var value = Get(key, required);
        if (value is null)
        {
            return null;
        }
        if (value is YamlMappingNode map)
        {
            return new YamlMap(map, file, errors);
        }
        errors.Add(file, (int)value.Start.Line, $"'{key}' must be a mapping of keys to values");
        return null;
    }

    public IReadOnlyList<YamlMap> Maps(string key, bool required = true)
    {
        var value = Get(key, required);
        if (value is null)
        {
            return [];
        }
        if (value is not YamlSequenceNode sequence)
        {
            errors.Add(file, (int)value.Start.Line, $"'{key}' must be a list");
            return [];
        }
        var maps = new List<YamlMap>();
        foreach (var item in sequence.Children)
        {
            if (item is YamlMappingNode map)
            {
                maps.Add(new YamlMap(map, file, errors));
            }
            else
            {
                errors.Add(file, (int)item.Start.Line, $"each entry of '{key}' must be a mapping");
            }
        }
        return maps;
    }

    /// <summary>Reports keys nobody read: a misspelt key must not silently change what a rule means.</summary>
    public void RejectUnknownKeys()
    {
        foreach (var key in node.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value ?? "?";
            if (!_read.Contains(name))
            {
                errors.Add(file, (int)key.Start.Line, $"unknown key '{name}'");
            }
        }
    }

    private YamlNode? Get(string key, bool required)
    {
        _read.Add(key);
        if (node.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            return value;
        }
        if (required)
        {
            errors.Add(file, Line, $"missing '{key}'");
        }
        return null;
    }

    private T Fail<T>(string key, string message, T fallback)
    {
        errors.Add(file, LineOf(key), message);
        return fallback;
    }
}
