using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Microsoft.OData;
using Microsoft.OData.Edm;

namespace SharingHub.Server.OData;

/// <summary>
/// Values in translated queries: constants brought to the column's CLR type (enums from their EDM
/// names or values, dates as midnight UTC), boxed as parameters, and enums ordered by declared order.
/// </summary>
internal static class ODataValues
{
    /// <summary>Brings a comparison's two sides to one CLR type; constants take the column's type.</summary>
    public static (Expression, Expression) Unify(Expression left, Expression right)
    {
        if (left.Type == right.Type)
        {
            return (Parameterise(left), Parameterise(right));
        }
        if (right is ConstantExpression rc && left is not ConstantExpression)
        {
            return (left, Box(Convert(rc.Value, left.Type), left.Type));
        }
        if (left is ConstantExpression lc)
        {
            return (Box(Convert(lc.Value, right.Type), right.Type), right);
        }
        var lt = Nullable.GetUnderlyingType(left.Type) ?? left.Type;
        var rt = Nullable.GetUnderlyingType(right.Type) ?? right.Type;
        if (lt == rt)
        {
            var nullable = typeof(Nullable<>).MakeGenericType(lt);
            return (Expression.Convert(left, nullable), Expression.Convert(right, nullable));
        }
        throw ODataRefusal.Invalid("the two sides of a comparison have different types");
    }

    public static object? Convert(object? value, Type target)
    {
        var type = Nullable.GetUnderlyingType(target) ?? target;
        try
        {
            return value switch
            {
                null => target.IsValueType && Nullable.GetUnderlyingType(target) is null
                    ? throw ODataRefusal.Invalid("null is compared only with a property that can be empty")
                    : null,
                ODataEnumValue e when type.IsEnum => EnumOf(e.Value, type),
                string s when type.IsEnum => EnumOf(s, type),
                _ when type == typeof(DateTimeOffset) && ODataDates.TryDay(value, out var d) => new DateTimeOffset(d.Year, d.Month, d.Day, 0, 0, 0, TimeSpan.Zero),
                _ when type.IsInstanceOfType(value) => value,
                IConvertible when type.IsPrimitive => System.Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture),
                _ => throw ODataRefusal.Invalid($"'{value}' cannot be compared with a property of type {EdmName(type)}"),
            };
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or InvalidCastException)
        {
            throw ODataRefusal.Invalid($"'{(value is ODataEnumValue member ? member.Value : value)}' is not a value of type {EdmName(type)}");
        }
    }

    /// <summary>An enum member from the parser's form of it: the member's value, or its name (camelCase in the model), perhaps still quoted.</summary>
    public static object EnumOf(string text, Type type)
    {
        var bare = text.Length > 1 && text[0] == '\'' && text[^1] == '\'' ? text[1..^1] : text;
        if (long.TryParse(bare, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            var member = System.Enum.ToObject(type, number);
            return System.Enum.IsDefined(type, member) ? member : throw new FormatException();
        }
        return System.Enum.GetValues(type).Cast<System.Enum>().FirstOrDefault(m => ODataModel.EnumName(m) == bare) ?? throw new FormatException();
    }

    public static string EdmName(Type type) => type.IsEnum ? type.Name : type.Name switch
    {
        nameof(DateTimeOffset) => "Edm.DateTimeOffset",
        nameof(Guid) => "Edm.Guid",
        nameof(String) => "Edm.String",
        nameof(Boolean) => "Edm.Boolean",
        _ => type.Name,
    };

    /// <summary>Values become parameters, not SQL text: the statement is the same for every value and nothing is spliced.</summary>
    public static Expression Box(object? value, Type type)
    {
        var box = Activator.CreateInstance(typeof(StrongBox<>).MakeGenericType(type), value)!;
        return Expression.Field(Expression.Constant(box), nameof(StrongBox<object>.Value));
    }

    /// <summary>A literal the caller wrote, as a parameter: EF would otherwise splice a constant into the SQL text.</summary>
    public static Expression Parameterise(Expression expression) =>
        expression is ConstantExpression { Value: not null } constant && !constant.Type.IsEnum ? Box(constant.Value, constant.Type) : expression;

    public static Expression Constant(object? value) => value switch
    {
        null => Expression.Constant(null),
        // No database stores NUL in text (PostgreSQL refuses it outright); no record can match it.
        string text when text.Contains('\0', StringComparison.Ordinal) => throw ODataRefusal.Invalid("a string in a query may not contain the NUL character"),
        ODataEnumValue => Expression.Constant(value),
        _ when ODataDates.IsDate(value) => Expression.Constant(value),
        _ => Expression.Constant(value, value.GetType()),
    };

    /// <summary>Enums are stored by name; their declared order is the order a reader expects (low before critical).</summary>
    public static Expression Ordinal(Expression expression)
    {
        if (expression is ConstantExpression { Value: { } v })
        {
            return Expression.Constant((int?)System.Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture), typeof(int?));
        }
        if (expression is MemberExpression { Expression: ConstantExpression } boxed && boxed.Type.IsEnum)
        {
            return Expression.Convert(Expression.Convert(boxed, typeof(int)), typeof(int?));
        }
        var enumType = Nullable.GetUnderlyingType(expression.Type) ?? expression.Type;
        Expression result = Expression.Constant(null, typeof(int?));
        foreach (var member in System.Enum.GetValues(enumType).Cast<object>().Reverse())
        {
            result = Expression.Condition(Expression.Equal(expression, Expression.Constant(member, expression.Type)),
                Expression.Constant((int?)System.Convert.ToInt32(member, System.Globalization.CultureInfo.InvariantCulture), typeof(int?)), result);
        }
        return result;
    }
}

/// <summary>
/// An OData date literal or payload value as a <see cref="DateOnly"/>. ODL 8 still gives dates as its own
/// Microsoft.OData.Edm.Date (obsolete, replaced by DateOnly in ODL 9); this is the one place that knows both.
/// </summary>
internal static class ODataDates
{
    public static bool TryDay(object? value, out DateOnly day)
    {
        switch (value)
        {
            case DateOnly d:
                day = d;
                return true;
#pragma warning disable CS0618 // ODL 8's date type, until ODL 9 gives DateOnly.
            case Date d:
                day = new DateOnly(d.Year, d.Month, d.Day);
                return true;
#pragma warning restore CS0618
            default:
                day = default;
                return false;
        }
    }

    /// <summary>A date as ODL 8 writes and compares it.</summary>
#pragma warning disable CS0618 // ODL 8's date type, until ODL 9 gives DateOnly.
    public static object ForOData(DateOnly day) => new Date(day.Year, day.Month, day.Day);

    public static object Parse(string text) => Date.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    public static bool IsDate(object? value) => value is Date or DateOnly;
#pragma warning restore CS0618
}
