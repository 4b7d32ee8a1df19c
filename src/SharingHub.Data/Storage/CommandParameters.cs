using System.Data.Common;

namespace SharingHub.Data.Storage;

/// <summary>Values reach the database as parameters, never as SQL text: the one way the hand-written statements add them.</summary>
internal static class CommandParameters
{
    public static DbCommand WithParameter(this DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return command;
    }
}
