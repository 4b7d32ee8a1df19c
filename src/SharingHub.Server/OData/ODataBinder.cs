using System.Linq.Expressions;
using System.Reflection;
using Microsoft.OData.UriParser;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;

using static SharingHub.Server.OData.ODataValues;

namespace SharingHub.Server.OData;

/// <summary>
/// Translates a parsed $filter and $orderby into a LINQ expression over the stored rows, so the database
/// does the work. Only plain columns are filtered or sorted; sealed fields are refused, and the fields
/// with a blind index match by equality through it. Every field the query reads is noted: the caller
/// must be allowed to read it, and a row whose decision withholds it does not match.
/// </summary>
internal sealed class ODataBinder<T>(ODataSet set, HubDbContext db, PersonSealer people, DateTimeOffset now, int maxNodes)
    where T : class
{
    private static readonly MethodInfo StringCompare = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;
    private readonly ParameterExpression _row = Expression.Parameter(typeof(T), "row");
    private readonly HashSet<string> _touched = new(StringComparer.Ordinal);
    private readonly int _maxNodes = maxNodes;
    private int _nodes;

    /// <summary>The fields (as the rules name them) the filter and sort read.</summary>
    public IReadOnlySet<string> Touched => _touched;

    public Expression<Func<T, bool>> Filter(FilterClause clause) =>
        Expression.Lambda<Func<T, bool>>(Boolean(clause.Expression), _row);

    public IQueryable<T> Order(IQueryable<T> query, OrderByClause? clause, Expression<Func<T, object>> tieBreak)
    {
        var first = true;
        for (var item = clause; item is not null; item = item.ThenBy)
        {
            var key = OrderKey(item.Expression);
            query = Sort(query, key, item.Direction == OrderByDirection.Descending, first);
            first = false;
        }
        // The key last, so a page boundary is the same on every request and every engine.
        var id = (MemberExpression)Strip(tieBreak.Body);
        return Sort(query, Expression.Lambda(Rebind(id, tieBreak.Parameters[0]), _row), false, first);
    }

    private IQueryable<T> Sort(IQueryable<T> query, LambdaExpression key, bool descending, bool first)
    {
        var name = (first, descending) switch
        {
            (true, false) => nameof(Queryable.OrderBy),
            (true, true) => nameof(Queryable.OrderByDescending),
            (false, false) => nameof(Queryable.ThenBy),
            _ => nameof(Queryable.ThenByDescending),
        };
        var method = typeof(Queryable).GetMethods().Single(m => m.Name == name && m.GetParameters().Length == 2)
            .MakeGenericMethod(typeof(T), key.ReturnType);
        return (IQueryable<T>)method.Invoke(null, [query, key])!;
    }

    private LambdaExpression OrderKey(SingleValueNode node)
    {
        var expression = Value(node);
        if (expression.Type.IsEnum || Nullable.GetUnderlyingType(expression.Type)?.IsEnum == true)
        {
            expression = Ordinal(expression);
        }
        return Expression.Lambda(expression, _row);
    }

    private Expression Boolean(SingleValueNode node)
    {
        var expression = Value(node);
        if (expression.Type == typeof(bool?))
        {
            expression = Expression.Equal(expression, Expression.Constant(true, typeof(bool?)));
        }
        return expression.Type == typeof(bool) ? expression : throw ODataRefusal.Invalid("the filter must be a true/false expression");
    }

    private Expression Value(SingleValueNode node)
    {
        if (++_nodes > _maxNodes)
        {
            throw new ODataRefusal(400, ODataErrors.TooComplex, $"the query has more than {_maxNodes} terms; simplify it");
        }
        return node switch
        {
            BinaryOperatorNode b => Binary(b),
            UnaryOperatorNode { OperatorKind: UnaryOperatorKind.Not } u => Expression.Not(Boolean(u.Operand)),
            ConvertNode c => Value(c.Source),
            ConstantNode c => Constant(c.Value),
            SingleValuePropertyAccessNode p => Property(p),
            InNode i => In(i),
            SingleValueFunctionCallNode f => Function(f),
            AnyNode a => Any(a),
            _ => throw ODataRefusal.NotSupported($"'{Describe(node)}' is not supported in a filter here"),
        };
    }

    private Expression Binary(BinaryOperatorNode node)
    {
        switch (node.OperatorKind)
        {
            case BinaryOperatorKind.And:
                return Expression.AndAlso(Boolean(node.Left), Boolean(node.Right));
            case BinaryOperatorKind.Or:
                return Expression.OrElse(Boolean(node.Left), Boolean(node.Right));
            case BinaryOperatorKind.Equal or BinaryOperatorKind.NotEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual
                or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual:
                break;
            default:
                throw ODataRefusal.NotSupported($"the operator '{node.OperatorKind}' is not supported; use comparisons, and, or, not, in, or the string and date functions");
        }
        var (left, right, kind) = (Strip(node.Left), Strip(node.Right), node.OperatorKind);
        if (right is SingleValuePropertyAccessNode or SingleValueFunctionCallNode && left is ConstantNode)
        {
            (left, right, kind) = (right, left, Flip(kind));
        }
        if (left is SingleValuePropertyAccessNode p && FieldOf(p) is { Storage: FieldStorage.Indexed } indexed)
        {
            return kind == BinaryOperatorKind.Equal && right is ConstantNode c
                ? IndexedMatch(indexed, [c.Value])
                : throw Encrypted(indexed, "it is matched only with eq or in and a value (through a keyed index)");
        }
        if (left is SingleValueFunctionCallNode { Name: "year" or "date" } f && right is ConstantNode bound)
        {
            return DateRange(f, kind, bound.Value);
        }
        var (l, r) = Unify(Value(left), Value(right));
        if (l.Type == typeof(string) && kind is not (BinaryOperatorKind.Equal or BinaryOperatorKind.NotEqual))
        {
            (l, r) = (Expression.Call(StringCompare, l, r), Expression.Constant(0));
        }
        else if ((Nullable.GetUnderlyingType(l.Type) ?? l.Type).IsEnum && kind is not (BinaryOperatorKind.Equal or BinaryOperatorKind.NotEqual))
        {
            (l, r) = (Ordinal(l), Ordinal(r));
        }
        return kind switch
        {
            BinaryOperatorKind.Equal => Expression.Equal(l, r),
            BinaryOperatorKind.NotEqual => Expression.NotEqual(l, r),
            BinaryOperatorKind.GreaterThan => Expression.GreaterThan(l, r),
            BinaryOperatorKind.GreaterThanOrEqual => Expression.GreaterThanOrEqual(l, r),
            BinaryOperatorKind.LessThan => Expression.LessThan(l, r),
            _ => Expression.LessThanOrEqual(l, r),
        };
    }

    private static BinaryOperatorKind Flip(BinaryOperatorKind kind) => kind switch
    {
        BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
        BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
        BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
        BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
        _ => kind,
    };

    /// <summary>year(x) and date(x) compared with a constant become a range on x: it works on both engines and uses x's index.</summary>
    private Expression DateRange(SingleValueFunctionCallNode function, BinaryOperatorKind kind, object? value)
    {
        var argument = function.Parameters.Single() as SingleValueNode ?? throw ODataRefusal.Invalid($"{function.Name}() takes one date and time");
        var column = Value(argument);
        if ((Nullable.GetUnderlyingType(column.Type) ?? column.Type) != typeof(DateTimeOffset))
        {
            throw ODataRefusal.Invalid($"{function.Name}() takes a date and time property");
        }
        DateTimeOffset from;
        DateTimeOffset to;
        if (function.Name == "year")
        {
            var year = value is int y and >= 1 and <= 9998 ? y : throw ODataRefusal.Invalid("year() is compared with a whole year, for example year(occurredAt) eq 2025");
            from = new DateTimeOffset(year, 1, 1, 0, 0, 0, TimeSpan.Zero);
            to = from.AddYears(1);
        }
        else
        {
            var day = ODataDates.TryDay(value, out var d) ? d : throw ODataRefusal.Invalid("date() is compared with a date, for example date(occurredAt) eq 2025-03-01");
            from = new DateTimeOffset(day.Year, day.Month, day.Day, 0, 0, 0, TimeSpan.Zero);
            to = from.AddDays(1);
        }
        var (lo, hi) = (Box(from, column.Type), Box(to, column.Type));
        return kind switch
        {
            BinaryOperatorKind.Equal => Expression.AndAlso(Expression.GreaterThanOrEqual(column, lo), Expression.LessThan(column, hi)),
            BinaryOperatorKind.NotEqual => Expression.OrElse(Expression.LessThan(column, lo), Expression.GreaterThanOrEqual(column, hi)),
            BinaryOperatorKind.GreaterThan => Expression.GreaterThanOrEqual(column, hi),
            BinaryOperatorKind.GreaterThanOrEqual => Expression.GreaterThanOrEqual(column, lo),
            BinaryOperatorKind.LessThan => Expression.LessThan(column, lo),
            _ => Expression.LessThan(column, hi),
        };
    }

    private Expression In(InNode node)
    {
        var left = Strip(node.Left);
        var values = node.Right is CollectionConstantNode constants
            ? constants.Collection.Select(c => c.Value).ToList()
            : throw ODataRefusal.NotSupported("in takes a list of values, for example category in ('missing-episode','exclusion')");
        if (values.Count is 0 or > 100)
        {
            throw ODataRefusal.Invalid("in takes 1 to 100 values");
        }
        if (left is SingleValuePropertyAccessNode p && FieldOf(p) is { Storage: FieldStorage.Indexed } indexed)
        {
            return IndexedMatch(indexed, values);
        }
        var column = Value(left);
        var type = column.Type;
        var list = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(type))!;
        foreach (var value in values)
        {
            list.Add(Convert(value, type));
        }
        var contains = typeof(Enumerable).GetMethods().Single(m => m.Name == nameof(Enumerable.Contains) && m.GetParameters().Length == 2).MakeGenericMethod(type);
        return Expression.Call(contains, Box(list, list.GetType()), column);
    }

    private Expression Function(SingleValueFunctionCallNode node)
    {
        var arguments = node.Parameters.Cast<SingleValueNode>().Select(Strip).ToList();
        foreach (var argument in arguments)
        {
            if (argument is SingleValuePropertyAccessNode p && FieldOf(p) is { Storage: not FieldStorage.Plain } field)
            {
                throw Encrypted(field, $"{node.Name}() would read it");
            }
        }
        string Text(int i)
        {
            var e = Value(arguments[i]);
            return e.Type == typeof(string) ? "" : throw ODataRefusal.Invalid($"{node.Name}() takes text");
        }
        switch (node.Name)
        {
            case "contains" or "startswith" or "endswith" when arguments.Count == 2:
                Text(0);
                Text(1);
                var method = typeof(string).GetMethod(node.Name switch
                {
                    "contains" => nameof(string.Contains),
                    "startswith" => nameof(string.StartsWith),
                    _ => nameof(string.EndsWith),
                }, [typeof(string)])!;
                var subject = Value(arguments[0]);
                return Expression.AndAlso(Expression.NotEqual(subject, Expression.Constant(null, typeof(string))), Expression.Call(subject, method, Parameterise(Value(arguments[1]))));
            case "tolower" or "toupper" or "trim" when arguments.Count == 1:
                Text(0);
                return Expression.Call(Value(arguments[0]), typeof(string).GetMethod(node.Name switch
                {
                    "tolower" => nameof(string.ToLower),
                    "toupper" => nameof(string.ToUpper),
                    _ => nameof(string.Trim),
                }, Type.EmptyTypes)!);
            case "length" when arguments.Count == 1:
                Text(0);
                return Expression.Property(Value(arguments[0]), nameof(string.Length));
            case "now" when arguments.Count == 0:
                return Box(now, typeof(DateTimeOffset));
            case "year" or "date":
                throw ODataRefusal.NotSupported($"{node.Name}() is supported compared with a constant, for example {node.Name}(occurredAt) eq {(node.Name == "year" ? "2025" : "2025-03-01")}");
            case "month" or "day" or "hour" or "minute" or "second" or "time" or "fractionalseconds" or "totaloffsetminutes":
                throw ODataRefusal.NotSupported($"{node.Name}() is not supported; compare the date and time with a range (ge and lt), or use year() or date()");
            default:
                throw ODataRefusal.NotSupported($"the function {node.Name}() is not supported here");
        }
    }

    /// <summary>subjects/any(p: p/id eq ...): the only thing a lambda may read of the related entity is its id.</summary>
    private Expression Any(AnyNode node)
    {
        if (node.Source is not CollectionNavigationNode navigationNode || !set.Navigations.TryGetValue(navigationNode.NavigationProperty.Name, out var navigation))
        {
            throw ODataRefusal.NotSupported("any() is supported over a navigation to people, for example subjects/any(p: p/id eq <id>)");
        }
        _touched.Add(navigation.PolicyField);
        var ids = Rebind(navigation.TargetIds.Body, navigation.TargetIds.Parameters[0]);
        var id = Expression.Parameter(typeof(Guid), node.CurrentRangeVariable.Name);
        var body = new LambdaIdBinder(this, node.CurrentRangeVariable.Name, id).Bind(node.Body);
        if (navigation.OwnersWhere is { } ownersWhere && set.Fields.TryGetValue("id", out var key) && key.Column is { } keyColumn)
        {
            // Through the link table's index: rows whose id is among the owners of matching links.
            var owners = ownersWhere(db, Expression.Lambda<Func<Guid, bool>>(body, id));
            var contains = typeof(Queryable).GetMethods().Single(m => m.Name == nameof(Queryable.Contains) && m.GetParameters().Length == 2).MakeGenericMethod(typeof(Guid));
            return Expression.Call(contains, Box(owners, typeof(IQueryable<Guid>)), Rebind(Strip(keyColumn.Body), keyColumn.Parameters[0]));
        }
        var any = typeof(Enumerable).GetMethods().Single(m => m.Name == nameof(Enumerable.Any) && m.GetParameters().Length == 2).MakeGenericMethod(typeof(Guid));
        return Expression.Call(any, ids, Expression.Lambda<Func<Guid, bool>>(body, id));
    }

    private Expression Property(SingleValuePropertyAccessNode node)
    {
        if (node.Source is SingleNavigationNode navigationNode && node.Property.Name == "id"
            && set.Navigations.TryGetValue(navigationNode.NavigationProperty.Name, out var navigation) && !navigation.Many)
        {
            _touched.Add(navigation.PolicyField);
            return Rebind(navigation.TargetIds.Body, navigation.TargetIds.Parameters[0]);
        }
        if (node.Source is not ResourceRangeVariableReferenceNode { Name: "$it" })
        {
            throw ODataRefusal.NotSupported($"'{node.Property.Name}' of a related entity cannot be filtered or sorted on; filter on its id");
        }
        var field = FieldOf(node)!;
        if (field.Storage != FieldStorage.Plain || field.Column is null)
        {
            throw Encrypted(field, "it cannot be filtered or sorted on");
        }
        if (field.PolicyField is { } policyField)
        {
            _touched.Add(policyField);
        }
        return Rebind(field.Column.Body, field.Column.Parameters[0]);
    }

    private ODataField? FieldOf(SingleValuePropertyAccessNode node) =>
        node.Source is ResourceRangeVariableReferenceNode { Name: "$it" } && set.Fields.TryGetValue(node.Property.Name, out var field) ? field : null;

    /// <summary>Equality on a field with a blind index: the keyed hash of the normalised value is compared, never the value.</summary>
    private Expression IndexedMatch(ODataField field, IReadOnlyList<object?> values)
    {
        _touched.Add(field.PolicyField!);
        if (typeof(T) != typeof(Person))
        {
            throw Encrypted(field, "it has no index here");
        }
        var person = (Expression<Func<Person, bool>>)(field.Name switch
        {
            "familyName" => IndexIn(values.Select(v => people.FamilyNameIndex(Text(field, v))).ToList(), p => p.FamilyNameIndex!),
            "birthDate" => IndexIn(values.Select(v => ODataDates.TryDay(v, out var d)
                ? people.BirthDateIndex(d)
                : throw ODataRefusal.Invalid("birthDate is compared with a date, for example birthDate eq 2015-03-01", field.Name)).ToList(), p => p.BirthDateIndex!),
            _ => IdentifierIn(field, values),
        });
        return Rebind(person.Body, person.Parameters[0]);
    }

    private static Expression<Func<Person, bool>> IndexIn(List<byte[]> indexes, Expression<Func<Person, byte[]>> column)
    {
        // One equality per value: byte arrays compare by value in SQL, and each uses the column's index.
        var p = column.Parameters[0];
        var body = indexes.Select(i => (Expression)Expression.Equal(column.Body, Box(i, typeof(byte[])))).Aggregate(Expression.OrElse);
        return Expression.Lambda<Func<Person, bool>>(body, p);
    }

    private Expression<Func<Person, bool>> IdentifierIn(ODataField field, IReadOnlyList<object?> values)
    {
        var kind = ODataModel.IdentifierKindOf(field.Name)!.Value;
        var indexes = values.Select(v => people.IdentifierIndex(kind, Text(field, v))).ToList();
        var owners = db.PersonIdentifiers.Where(i => i.Kind == kind && indexes.Contains(i.ValueIndex)).Select(i => i.PersonId);
        return person => owners.Contains(person.Id);
    }

    private static string Text(ODataField field, object? value) =>
        value as string ?? throw ODataRefusal.Invalid($"{field.Name} is compared with text", field.Name);

    private static ODataRefusal Encrypted(ODataField field, string why) =>
        new(400, ODataErrors.EncryptedField, $"'{field.Name}' is encrypted at rest: {why}. Only familyName, birthDate and the identifiers (nhsNumber, upn, pncId, crn, laPersonId) of People match, with eq or in.", field.Name);

    private static SingleValueNode Strip(SingleValueNode node) => node is ConvertNode c ? Strip(c.Source) : node;

    private static Expression Strip(Expression e) => e is UnaryExpression { NodeType: ExpressionType.Convert } u ? Strip(u.Operand) : e;

    private Expression Rebind(Expression body, ParameterExpression from) => new Replace(from, _row).Visit(body);

    private static string Describe(QueryNode node) => node.Kind.ToString();

    private sealed class Replace(ParameterExpression from, Expression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }

    /// <summary>Binds a lambda body in which the range variable's id is the only property read: comparisons, in, and, or, not.</summary>
    private sealed class LambdaIdBinder(ODataBinder<T> outer, string variable, ParameterExpression id)
    {
        public Expression Bind(SingleValueNode node)
        {
            if (++outer._nodes > outer._maxNodes)
            {
                throw new ODataRefusal(400, ODataErrors.TooComplex, "the query has too many terms; simplify it");
            }
            return Strip(node) switch
            {
                BinaryOperatorNode { OperatorKind: BinaryOperatorKind.And } b => Expression.AndAlso(Bind(b.Left), Bind(b.Right)),
                BinaryOperatorNode { OperatorKind: BinaryOperatorKind.Or } b => Expression.OrElse(Bind(b.Left), Bind(b.Right)),
                UnaryOperatorNode { OperatorKind: UnaryOperatorKind.Not } u => Expression.Not(Bind(u.Operand)),
                BinaryOperatorNode { OperatorKind: BinaryOperatorKind.Equal or BinaryOperatorKind.NotEqual } b => Compare(b),
                InNode { Right: CollectionConstantNode values } i when IsId(i.Left) =>
                    Expression.Call(typeof(Enumerable).GetMethods().Single(m => m.Name == nameof(Enumerable.Contains) && m.GetParameters().Length == 2).MakeGenericMethod(typeof(Guid)),
                        Box(values.Collection.Select(c => (Guid)Convert(c.Value, typeof(Guid))!).ToList(), typeof(List<Guid>)), id),
                _ => throw ODataRefusal.NotSupported($"inside any(), compare {variable}/id with an id"),
            };
        }

        private Expression Compare(BinaryOperatorNode node)
        {
            var (left, right) = (Strip(node.Left), Strip(node.Right));
            if (IsId(right))
            {
                (left, right) = (right, left);
            }
            if (!IsId(left) || right is not ConstantNode c)
            {
                throw ODataRefusal.NotSupported($"inside any(), compare {variable}/id with an id");
            }
            var value = Box(Convert(c.Value, typeof(Guid)), typeof(Guid));
            return node.OperatorKind == BinaryOperatorKind.Equal ? Expression.Equal(id, value) : Expression.NotEqual(id, value);
        }

        private bool IsId(SingleValueNode node) =>
            Strip(node) is SingleValuePropertyAccessNode { Property.Name: "id", Source: ResourceRangeVariableReferenceNode r } && r.Name == variable;
    }

}
