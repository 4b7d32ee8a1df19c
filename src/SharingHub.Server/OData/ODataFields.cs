using System.Linq.Expressions;
using Microsoft.OData;
using Microsoft.OData.Edm;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Access;

namespace SharingHub.Server.OData;

/// <summary>How a property is kept: plain columns filter and sort in the database; sealed ones never do; indexed ones match by equality through a blind index.</summary>
internal enum FieldStorage
{
    Plain,
    Sealed,
    Indexed,
}

/// <summary>
/// One property of an entity type: its EDM name and type, the field the sharing rules call it (null for
/// record metadata every permitted reader sees), how it is stored, the column a filter or sort reads,
/// and how its value is read for one disclosed record (withheld or unavailable values are absent).
/// </summary>
internal sealed record ODataField(
    string Name,
    string? PolicyField,
    IEdmTypeReference EdmType,
    FieldStorage Storage,
    LambdaExpression? Column,
    Func<Disclosure, FieldValue> Read)
{
    /// <summary>The column's value for the payload, for rows read with no decision in between (audit entries, for their readers).</summary>
    public Func<object, object?>? Get { get; init; }
}

/// <summary>A property's value for the payload, or absent (withheld by policy, unavailable key, or simply not held).</summary>
internal readonly record struct FieldValue(bool Present, object? Value)
{
    public static readonly FieldValue Absent = new(false, null);

    public static FieldValue Of(object? value) => new(true, value);
}

/// <summary>A navigation property: which field of the source the rules govern, and the ids of the entities it points to.</summary>
internal sealed record ODataNavigation(string Name, string PolicyField, string TargetSet, bool Many, LambdaExpression TargetIds, Func<Record, IEnumerable<Guid>> Targets)
{
    /// <summary>
    /// For a navigation kept in a link table: the ids of the rows whose targets match a predicate, as a
    /// query over the link table, so any() filters through its index instead of testing every row.
    /// </summary>
    public Func<HubDbContext, Expression<Func<Guid, bool>>, IQueryable<Guid>>? OwnersWhere { get; init; }
}

/// <summary>Declares one entity type's properties against its CLR record type, keeping EDM, columns and readers in one place.</summary>
internal sealed class FieldsOf<T>(EdmEntityType type, EdmModel model)
    where T : class
{
    public List<ODataField> Fields { get; } = [];
    public List<ODataNavigation> Navigations { get; } = [];

    /// <summary>The metadata every record carries and every permitted reader sees.</summary>
    public FieldsOf<T> Metadata()
    {
        Key("id", r => ((Record)(object)r).Id);
        Visible("owningAgency", r => ((Record)(object)r).OwningAgency, EdmPrimitiveTypeKind.String, false);
        Visible("owningOrganisation", r => ((Record)(object)r).OwningOrganisation, EdmPrimitiveTypeKind.String, false);
        Visible("dataClass", r => ((Record)(object)r).DataClass, EdmPrimitiveTypeKind.String, false);
        Visible("createdAt", r => ((Record)(object)r).CreatedAt, EdmPrimitiveTypeKind.DateTimeOffset, false);
        Visible("updatedAt", r => ((Record)(object)r).UpdatedAt, EdmPrimitiveTypeKind.DateTimeOffset, false);
        return this;
    }

    public FieldsOf<T> Key<TV>(string name, Expression<Func<T, TV>> column)
    {
        var property = type.AddStructuralProperty(name, Kind(typeof(TV)), false);
        type.AddKeys(property);
        return Add(name, null, property.Type, column, null);
    }

    /// <summary>A plain property everyone who may see the record sees (metadata, or audit entries for their readers).</summary>
    public FieldsOf<T> Visible<TV>(string name, Expression<Func<T, TV>> column, EdmPrimitiveTypeKind kind, bool nullable) =>
        Add(name, null, EdmCoreModel.Instance.GetPrimitive(kind, nullable), column, null);

    /// <summary>A plain property the rules govern under its own name.</summary>
    public FieldsOf<T> Plain<TV>(string name, Expression<Func<T, TV>> column, EdmPrimitiveTypeKind kind, bool nullable) =>
        Add(name, name, EdmCoreModel.Instance.GetPrimitive(kind, nullable), column, null);

    public FieldsOf<T> Enum<TE>(string name, Expression<Func<T, TE>> column, bool nullable = false)
    {
        var clr = Nullable.GetUnderlyingType(typeof(TE)) ?? typeof(TE);
        var enumType = model.FindDeclaredType($"{ODataModel.Namespace}.{clr.Name}") as IEdmEnumType ?? DeclareEnum(clr);
        return Add(name, name, new EdmEnumTypeReference(enumType, nullable), column,
            v => v is null ? null : new ODataEnumValue(ODataModel.EnumName((System.Enum)v), enumType.FullName()));
    }

    public FieldsOf<T> Strings(string name, Expression<Func<T, List<string>>> column) =>
        Add(name, name, new EdmCollectionTypeReference(new EdmCollectionType(EdmCoreModel.Instance.GetString(false))), column,
            v => new ODataCollectionValue { TypeName = "Collection(Edm.String)", Items = ((List<string>)v!).Cast<object>().ToList() });

    /// <summary>A field encrypted at rest: read only for a permitted reader, never filtered or sorted.</summary>
    public FieldsOf<T> Sealed(string name, Func<T, EncryptedValue?> value, string? property = null) =>
        SealedAs(name, value, EdmPrimitiveTypeKind.String, FieldStorage.Sealed, s => s, property);

    /// <summary>A sealed field with a blind index: equality filters match through the index.</summary>
    public FieldsOf<T> Indexed(string name, Func<T, EncryptedValue?> value, EdmPrimitiveTypeKind kind = EdmPrimitiveTypeKind.String, Func<string, object?>? convert = null) =>
        SealedAs(name, value, kind, FieldStorage.Indexed, convert ?? (s => s), null);

    /// <summary>A value read by a custom reader (identifiers), matched through a blind index.</summary>
    public FieldsOf<T> Custom(string name, string policyField, FieldStorage storage, Func<Disclosure, FieldValue> read, EdmPrimitiveTypeKind kind = EdmPrimitiveTypeKind.String)
    {
        type.AddStructuralProperty(name, kind, true);
        Fields.Add(new ODataField(name, policyField, EdmCoreModel.Instance.GetPrimitive(kind, true), storage, null, read));
        return this;
    }

    /// <summary>
    /// The parts of a record as a collection of complex values (a case's conferences, members, emergency actions): shown with the
    /// record when its decision shows the field named, written whole, never filtered or sorted on.
    /// </summary>
    public FieldsOf<T> Parts<TP>(string name, PartsOf<TP> part, Func<T, IEnumerable<TP>> items)
    {
        var edmType = new EdmCollectionTypeReference(new EdmCollectionType(new EdmComplexTypeReference(part.Type, false)));
        type.AddStructuralProperty(name, edmType);
        var clrProperty = char.ToUpperInvariant(name[0]) + name[1..];
        Fields.Add(new ODataField(name, name, edmType, FieldStorage.Sealed, null, d =>
        {
            var rows = items((T)(object)d.Record).ToList();
            return d.Shows(clrProperty, rows.Count > 0) ? FieldValue.Of(new ODataParts(name, part.Type.FullName(), rows.Select(part.Of).ToList())) : FieldValue.Absent;
        }));
        return this;
    }

    public FieldsOf<T> Navigation(string name, string policyField, EdmEntityType target, string targetSet, Expression<Func<T, Guid>> one)
    {
        type.AddUnidirectionalNavigation(new EdmNavigationPropertyInfo { Name = name, Target = target, TargetMultiplicity = EdmMultiplicity.ZeroOrOne });
        var ids = one.Compile();
        Navigations.Add(new ODataNavigation(name, policyField, targetSet, false, one, r => [ids((T)(object)r)]));
        return this;
    }

    public FieldsOf<T> Navigation<TLink>(string name, string policyField, EdmEntityType target, string targetSet, Expression<Func<T, IEnumerable<Guid>>> many,
        Expression<Func<TLink, Guid>> linkOwner, Expression<Func<TLink, Guid>> linkTarget)
        where TLink : class
    {
        type.AddUnidirectionalNavigation(new EdmNavigationPropertyInfo { Name = name, Target = target, TargetMultiplicity = EdmMultiplicity.Many });
        var ids = many.Compile();
        Navigations.Add(new ODataNavigation(name, policyField, targetSet, true, many, r => ids((T)(object)r))
        {
            OwnersWhere = (db, predicate) =>
            {
                var link = linkTarget.Parameters[0];
                var matches = Expression.Lambda<Func<TLink, bool>>(new ParameterSwap(predicate.Parameters[0], linkTarget.Body).Visit(predicate.Body), link);
                return db.Set<TLink>().Where(matches).Select(linkOwner);
            },
        });
        return this;
    }

    private sealed class ParameterSwap(ParameterExpression from, Expression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }

    private FieldsOf<T> SealedAs(string name, Func<T, EncryptedValue?> value, EdmPrimitiveTypeKind kind, FieldStorage storage, Func<string, object?> convert, string? property)
    {
        type.AddStructuralProperty(name, kind, true);
        var clrProperty = property ?? char.ToUpperInvariant(name[0]) + name[1..];
        Fields.Add(new ODataField(name, name, EdmCoreModel.Instance.GetPrimitive(kind, true), storage, null, d =>
        {
            var plain = d.Open(clrProperty, value((T)(object)d.Record));
            return plain is null ? FieldValue.Absent : FieldValue.Of(convert(plain));
        }));
        return this;
    }

    private FieldsOf<T> Add<TV>(string name, string? policyField, IEdmTypeReference edmType, Expression<Func<T, TV>> column, Func<object?, object?>? convert)
    {
        if (type.FindProperty(name) is null)
        {
            type.AddStructuralProperty(name, edmType);
        }
        var read = column.Compile();
        var clrProperty = char.ToUpperInvariant(name[0]) + name[1..];
        Func<object?, object?> output = convert ?? Normalise;
        Fields.Add(new ODataField(name, policyField, edmType, FieldStorage.Plain, column, d =>
        {
            object? value = read((T)(object)d.Record);
            return policyField is not null && !d.Shows(clrProperty, value is not null) ? FieldValue.Absent : FieldValue.Of(output(value));
        })
        {
            Get = row => output(read((T)row)),
        });
        return this;
    }

    private static object? Normalise(object? value) => value switch
    {
        DateOnly d => ODataDates.ForOData(d),
        System.Enum e => ODataModel.EnumName(e),
        _ => value,
    };

    private EdmEnumType DeclareEnum(Type clr)
    {
        var declared = new EdmEnumType(ODataModel.Namespace, clr.Name);
        foreach (var (member, index) in System.Enum.GetValues(clr).Cast<System.Enum>().Select((m, i) => (m, i)))
        {
            declared.AddMember(ODataModel.EnumName(member), new EdmEnumMemberValue(index));
        }
        model.AddElement(declared);
        return declared;
    }

    private static EdmPrimitiveTypeKind Kind(Type clr) => clr == typeof(Guid) ? EdmPrimitiveTypeKind.Guid
        : clr == typeof(long) ? EdmPrimitiveTypeKind.Int64
        : EdmPrimitiveTypeKind.String;
}

/// <summary>One complex value as it is written: its primitive properties and its own collections of complex values.</summary>
internal sealed record ODataPart(string TypeName, IReadOnlyList<ODataProperty> Properties, IReadOnlyList<ODataParts> Nested);

/// <summary>A collection of complex values under a property name, written as a nested resource set.</summary>
internal sealed record ODataParts(string Name, string ItemType, IReadOnlyList<ODataPart> Items);

/// <summary>Declares a complex type for the parts of a record and how one part is written.</summary>
internal sealed class PartsOf<TP>(EdmModel model, string typeName)
{
    private readonly List<Func<TP, ODataProperty>> _properties = [];
    private readonly List<Func<TP, ODataParts>> _nested = [];

    public EdmComplexType Type { get; } = Declare(model, typeName);

    private static EdmComplexType Declare(EdmModel model, string typeName)
    {
        var type = new EdmComplexType(ODataModel.Namespace, typeName);
        model.AddElement(type);
        return type;
    }

    public PartsOf<TP> Value<TV>(string name, Func<TP, TV> value, EdmPrimitiveTypeKind kind, bool nullable)
    {
        Type.AddStructuralProperty(name, kind, nullable);
        _properties.Add(p => new ODataProperty
        {
            Name = name,
            Value = value(p) switch
            {
                System.Enum e => ODataModel.EnumName(e),
                var v => v,
            },
        });
        return this;
    }

    public PartsOf<TP> Many<TC>(string name, PartsOf<TC> inner, Func<TP, IEnumerable<TC>> items)
    {
        Type.AddStructuralProperty(name, new EdmCollectionTypeReference(new EdmCollectionType(new EdmComplexTypeReference(inner.Type, false))));
        _nested.Add(p => new ODataParts(name, inner.Type.FullName(), items(p).Select(inner.Of).ToList()));
        return this;
    }

    public ODataPart Of(TP item) => new(Type.FullName(), _properties.Select(p => p(item)).ToList(), _nested.Select(n => n(item)).ToList());
}
