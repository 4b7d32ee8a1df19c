using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace SharingHub.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Agencies",
                columns: table => new
                {
                    Code = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Agencies", x => x.Code);
                });

            migrationBuilder.CreateTable(
                name: "AuditCheckpoints",
                columns: table => new
                {
                    TreeSize = table.Column<long>(type: "bigint", nullable: false),
                    RootHash = table.Column<byte[]>(type: "bytea", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    KeyId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Signature = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditCheckpoints", x => x.TreeSize);
                });

            migrationBuilder.CreateTable(
                name: "AuditEntries",
                columns: table => new
                {
                    Sequence = table.Column<long>(type: "bigint", nullable: false),
                    RecordedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    RequestId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Agency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Actor = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Purpose = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    EnquiryId = table.Column<Guid>(type: "uuid", nullable: true),
                    Action = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Outcome = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Decision = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    IsOverride = table.Column<bool>(type: "boolean", nullable: false),
                    Subjects = table.Column<string>(type: "text", nullable: false),
                    Owners = table.Column<string>(type: "text", nullable: false),
                    Body = table.Column<string>(type: "text", nullable: false),
                    PreviousHash = table.Column<byte[]>(type: "bytea", nullable: false),
                    EntryHash = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditEntries", x => x.Sequence);
                });

            migrationBuilder.CreateTable(
                name: "AuditNodes",
                columns: table => new
                {
                    Level = table.Column<int>(type: "integer", nullable: false),
                    NodeIndex = table.Column<long>(type: "bigint", nullable: false),
                    Hash = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditNodes", x => new { x.Level, x.NodeIndex });
                });

            migrationBuilder.CreateTable(
                name: "DataKeys",
                columns: table => new
                {
                    KeyId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Agency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Generation = table.Column<int>(type: "integer", nullable: false),
                    KekId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    WrappedKey = table.Column<byte[]>(type: "bytea", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    DestroyedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DataKeys", x => x.KeyId);
                });

            migrationBuilder.CreateTable(
                name: "ErasedLinks",
                columns: table => new
                {
                    ErasedPersonId = table.Column<Guid>(type: "uuid", nullable: false),
                    LinkedPersonId = table.Column<Guid>(type: "uuid", nullable: false),
                    ErasedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ErasedLinks", x => new { x.ErasedPersonId, x.LinkedPersonId });
                });

            migrationBuilder.CreateTable(
                name: "Notifications",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Agency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Kind = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Payload = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    DueAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    NextAttemptAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    DeliveredAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    DeadAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastError = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Notifications", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "RecordHistory",
                columns: table => new
                {
                    RecordId = table.Column<Guid>(type: "uuid", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false),
                    RecordType = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    OwningAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Snapshot = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RecordHistory", x => new { x.RecordId, x.Version });
                });

            migrationBuilder.CreateTable(
                name: "Enquiries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Reference = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Status = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    OpenedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ClosedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Outcome = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    LeadPractitioner = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Grounds = table.Column<byte[]>(type: "bytea", nullable: true),
                    OwningAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Enquiries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Enquiries_Agencies_OwningAgency",
                        column: x => x.OwningAgency,
                        principalTable: "Agencies",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Events",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    OccurredAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Category = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Significance = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Summary = table.Column<byte[]>(type: "bytea", nullable: false),
                    Detail = table.Column<byte[]>(type: "bytea", nullable: true),
                    SourceReference = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    OwningAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Events", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Events_Agencies_OwningAgency",
                        column: x => x.OwningAgency,
                        principalTable: "Agencies",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Households",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Reference = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Address = table.Column<byte[]>(type: "bytea", nullable: true),
                    PostcodeIndex = table.Column<byte[]>(type: "bytea", nullable: true),
                    OwningAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Households", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Households_Agencies_OwningAgency",
                        column: x => x.OwningAgency,
                        principalTable: "Agencies",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "People",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    GivenName = table.Column<byte[]>(type: "bytea", nullable: false),
                    FamilyName = table.Column<byte[]>(type: "bytea", nullable: false),
                    BirthDate = table.Column<byte[]>(type: "bytea", nullable: false),
                    Sex = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    Address = table.Column<byte[]>(type: "bytea", nullable: true),
                    AddressConfidential = table.Column<bool>(type: "boolean", nullable: false),
                    FamilyNameIndex = table.Column<byte[]>(type: "bytea", nullable: true),
                    BirthDateIndex = table.Column<byte[]>(type: "bytea", nullable: true),
                    PostcodeIndex = table.Column<byte[]>(type: "bytea", nullable: true),
                    OwningAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_People", x => x.Id);
                    table.ForeignKey(
                        name: "FK_People_Agencies_OwningAgency",
                        column: x => x.OwningAgency,
                        principalTable: "Agencies",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "EnquiryFgdm",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    EnquiryId = table.Column<Guid>(type: "uuid", nullable: false),
                    DecisionPoint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Status = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    RecordedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    RecordedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EnquiryFgdm", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EnquiryFgdm_Enquiries_EnquiryId",
                        column: x => x.EnquiryId,
                        principalTable: "Enquiries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "EnquiryMembers",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    EnquiryId = table.Column<Guid>(type: "uuid", nullable: false),
                    Agency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    UserSubject = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Role = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    AddedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    RemovedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EnquiryMembers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EnquiryMembers_Enquiries_EnquiryId",
                        column: x => x.EnquiryId,
                        principalTable: "Enquiries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "InformationRequests",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    EnquiryId = table.Column<Guid>(type: "uuid", nullable: false),
                    RequestedAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    RequestedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    DueAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Status = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Question = table.Column<byte[]>(type: "bytea", nullable: true),
                    EscalatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    OwningAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InformationRequests", x => x.Id);
                    table.ForeignKey(
                        name: "FK_InformationRequests_Agencies_OwningAgency",
                        column: x => x.OwningAgency,
                        principalTable: "Agencies",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_InformationRequests_Enquiries_EnquiryId",
                        column: x => x.EnquiryId,
                        principalTable: "Enquiries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "StrategyMeetings",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    EnquiryId = table.Column<Guid>(type: "uuid", nullable: false),
                    HeldAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Attendees = table.Column<List<string>>(type: "text[]", nullable: false),
                    Contributions = table.Column<byte[]>(type: "bytea", nullable: true),
                    Decisions = table.Column<byte[]>(type: "bytea", nullable: true),
                    OwningAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StrategyMeetings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_StrategyMeetings_Agencies_OwningAgency",
                        column: x => x.OwningAgency,
                        principalTable: "Agencies",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_StrategyMeetings_Enquiries_EnquiryId",
                        column: x => x.EnquiryId,
                        principalTable: "Enquiries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Consents",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    SubjectPersonId = table.Column<Guid>(type: "uuid", nullable: false),
                    GrantorPersonId = table.Column<Guid>(type: "uuid", nullable: true),
                    Grantor = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Decision = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Status = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    RecipientAgencies = table.Column<List<string>>(type: "text[]", nullable: false),
                    Purposes = table.Column<List<string>>(type: "text[]", nullable: false),
                    DataClasses = table.Column<List<string>>(type: "text[]", nullable: false),
                    PeriodStart = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    PeriodEnd = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    WithdrawnAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    OwningAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Consents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Consents_Agencies_OwningAgency",
                        column: x => x.OwningAgency,
                        principalTable: "Agencies",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Consents_People_GrantorPersonId",
                        column: x => x.GrantorPersonId,
                        principalTable: "People",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Consents_People_SubjectPersonId",
                        column: x => x.SubjectPersonId,
                        principalTable: "People",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "EnquirySubjects",
                columns: table => new
                {
                    EnquiryId = table.Column<Guid>(type: "uuid", nullable: false),
                    PersonId = table.Column<Guid>(type: "uuid", nullable: false),
                    Role = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EnquirySubjects", x => new { x.EnquiryId, x.PersonId });
                    table.ForeignKey(
                        name: "FK_EnquirySubjects_Enquiries_EnquiryId",
                        column: x => x.EnquiryId,
                        principalTable: "Enquiries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_EnquirySubjects_People_PersonId",
                        column: x => x.PersonId,
                        principalTable: "People",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "EventSubjects",
                columns: table => new
                {
                    EventId = table.Column<Guid>(type: "uuid", nullable: false),
                    PersonId = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EventSubjects", x => new { x.EventId, x.PersonId });
                    table.ForeignKey(
                        name: "FK_EventSubjects_Events_EventId",
                        column: x => x.EventId,
                        principalTable: "Events",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_EventSubjects_People_PersonId",
                        column: x => x.PersonId,
                        principalTable: "People",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "HouseholdMembers",
                columns: table => new
                {
                    HouseholdId = table.Column<Guid>(type: "uuid", nullable: false),
                    PersonId = table.Column<Guid>(type: "uuid", nullable: false),
                    Role = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HouseholdMembers", x => new { x.HouseholdId, x.PersonId });
                    table.ForeignKey(
                        name: "FK_HouseholdMembers_Households_HouseholdId",
                        column: x => x.HouseholdId,
                        principalTable: "Households",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_HouseholdMembers_People_PersonId",
                        column: x => x.PersonId,
                        principalTable: "People",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Involvements",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    PersonId = table.Column<Guid>(type: "uuid", nullable: false),
                    Service = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Status = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    EndedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Team = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    LeadWorker = table.Column<byte[]>(type: "bytea", nullable: true),
                    Summary = table.Column<byte[]>(type: "bytea", nullable: true),
                    OwningAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Involvements", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Involvements_Agencies_OwningAgency",
                        column: x => x.OwningAgency,
                        principalTable: "Agencies",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Involvements_People_PersonId",
                        column: x => x.PersonId,
                        principalTable: "People",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "PersonIdentifiers",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    PersonId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Value = table.Column<byte[]>(type: "bytea", nullable: false),
                    ValueIndex = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PersonIdentifiers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PersonIdentifiers_People_PersonId",
                        column: x => x.PersonId,
                        principalTable: "People",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Referrals",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    SubjectPersonId = table.Column<Guid>(type: "uuid", nullable: false),
                    ReceivedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    DecisionDueAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Decision = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    DecidedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Concern = table.Column<byte[]>(type: "bytea", nullable: false),
                    ReferrerIdentity = table.Column<byte[]>(type: "bytea", nullable: true),
                    OwningAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Referrals", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Referrals_Agencies_OwningAgency",
                        column: x => x.OwningAgency,
                        principalTable: "Agencies",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Referrals_People_SubjectPersonId",
                        column: x => x.SubjectPersonId,
                        principalTable: "People",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Relationships",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    PersonId = table.Column<Guid>(type: "uuid", nullable: false),
                    RelatedPersonId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    HasParentalResponsibility = table.Column<bool>(type: "boolean", nullable: false),
                    OwningAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Relationships", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Relationships_Agencies_OwningAgency",
                        column: x => x.OwningAgency,
                        principalTable: "Agencies",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Relationships_People_PersonId",
                        column: x => x.PersonId,
                        principalTable: "People",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Relationships_People_RelatedPersonId",
                        column: x => x.RelatedPersonId,
                        principalTable: "People",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "States",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    PersonId = table.Column<Guid>(type: "uuid", nullable: false),
                    Code = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    EndedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Detail = table.Column<byte[]>(type: "bytea", nullable: true),
                    OwningAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_States", x => x.Id);
                    table.ForeignKey(
                        name: "FK_States_Agencies_OwningAgency",
                        column: x => x.OwningAgency,
                        principalTable: "Agencies",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_States_People_PersonId",
                        column: x => x.PersonId,
                        principalTable: "People",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "InformationResponses",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    RequestId = table.Column<Guid>(type: "uuid", nullable: false),
                    RespondedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Kind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Content = table.Column<byte[]>(type: "bytea", nullable: true),
                    Reason = table.Column<byte[]>(type: "bytea", nullable: true),
                    OwningAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataClass = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InformationResponses", x => x.Id);
                    table.ForeignKey(
                        name: "FK_InformationResponses_Agencies_OwningAgency",
                        column: x => x.OwningAgency,
                        principalTable: "Agencies",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_InformationResponses_InformationRequests_RequestId",
                        column: x => x.RequestId,
                        principalTable: "InformationRequests",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.InsertData(
                table: "Agencies",
                columns: new[] { "Code", "Name" },
                values: new object[,]
                {
                    { "education", "Education" },
                    { "health", "Health (ICB and NHS providers)" },
                    { "la", "Local authority children's services" },
                    { "police", "Police" },
                    { "probation", "Probation" }
                });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_Actor_RecordedAt",
                table: "AuditEntries",
                columns: new[] { "Actor", "RecordedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_Agency_RecordedAt",
                table: "AuditEntries",
                columns: new[] { "Agency", "RecordedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_RecordedAt",
                table: "AuditEntries",
                column: "RecordedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Consents_GrantorPersonId",
                table: "Consents",
                column: "GrantorPersonId");

            migrationBuilder.CreateIndex(
                name: "IX_Consents_OwningAgency",
                table: "Consents",
                column: "OwningAgency");

            migrationBuilder.CreateIndex(
                name: "IX_Consents_SubjectPersonId",
                table: "Consents",
                column: "SubjectPersonId");

            migrationBuilder.CreateIndex(
                name: "IX_DataKeys_Agency_DataClass_Generation",
                table: "DataKeys",
                columns: new[] { "Agency", "DataClass", "Generation" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Enquiries_OwningAgency",
                table: "Enquiries",
                column: "OwningAgency");

            migrationBuilder.CreateIndex(
                name: "IX_Enquiries_Reference",
                table: "Enquiries",
                column: "Reference",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_EnquiryFgdm_EnquiryId",
                table: "EnquiryFgdm",
                column: "EnquiryId");

            migrationBuilder.CreateIndex(
                name: "IX_EnquiryMembers_Agency_UserSubject",
                table: "EnquiryMembers",
                columns: new[] { "Agency", "UserSubject" });

            migrationBuilder.CreateIndex(
                name: "IX_EnquiryMembers_EnquiryId",
                table: "EnquiryMembers",
                column: "EnquiryId");

            migrationBuilder.CreateIndex(
                name: "IX_EnquirySubjects_PersonId",
                table: "EnquirySubjects",
                column: "PersonId");

            migrationBuilder.CreateIndex(
                name: "IX_ErasedLinks_LinkedPersonId",
                table: "ErasedLinks",
                column: "LinkedPersonId");

            migrationBuilder.CreateIndex(
                name: "IX_EventSubjects_PersonId",
                table: "EventSubjects",
                column: "PersonId");

            migrationBuilder.CreateIndex(
                name: "IX_Events_OccurredAt",
                table: "Events",
                column: "OccurredAt");

            migrationBuilder.CreateIndex(
                name: "IX_Events_OwningAgency",
                table: "Events",
                column: "OwningAgency");

            migrationBuilder.CreateIndex(
                name: "IX_Events_OwningAgency_SourceReference",
                table: "Events",
                columns: new[] { "OwningAgency", "SourceReference" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_HouseholdMembers_PersonId",
                table: "HouseholdMembers",
                column: "PersonId");

            migrationBuilder.CreateIndex(
                name: "IX_Households_OwningAgency",
                table: "Households",
                column: "OwningAgency");

            migrationBuilder.CreateIndex(
                name: "IX_Households_OwningAgency_Reference",
                table: "Households",
                columns: new[] { "OwningAgency", "Reference" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Households_PostcodeIndex",
                table: "Households",
                column: "PostcodeIndex");

            migrationBuilder.CreateIndex(
                name: "IX_InformationRequests_EnquiryId",
                table: "InformationRequests",
                column: "EnquiryId");

            migrationBuilder.CreateIndex(
                name: "IX_InformationRequests_OwningAgency",
                table: "InformationRequests",
                column: "OwningAgency");

            migrationBuilder.CreateIndex(
                name: "IX_InformationRequests_RequestedAgency_Status_DueAt",
                table: "InformationRequests",
                columns: new[] { "RequestedAgency", "Status", "DueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_InformationResponses_OwningAgency",
                table: "InformationResponses",
                column: "OwningAgency");

            migrationBuilder.CreateIndex(
                name: "IX_InformationResponses_RequestId",
                table: "InformationResponses",
                column: "RequestId");

            migrationBuilder.CreateIndex(
                name: "IX_Involvements_OwningAgency",
                table: "Involvements",
                column: "OwningAgency");

            migrationBuilder.CreateIndex(
                name: "IX_Involvements_PersonId_Status",
                table: "Involvements",
                columns: new[] { "PersonId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_Notifications_Agency",
                table: "Notifications",
                column: "Agency");

            migrationBuilder.CreateIndex(
                name: "IX_Notifications_Pending",
                table: "Notifications",
                columns: new[] { "DeliveredAt", "DeadAt", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_People_BirthDateIndex",
                table: "People",
                column: "BirthDateIndex");

            migrationBuilder.CreateIndex(
                name: "IX_People_FamilyNameIndex",
                table: "People",
                column: "FamilyNameIndex");

            migrationBuilder.CreateIndex(
                name: "IX_People_OwningAgency",
                table: "People",
                column: "OwningAgency");

            migrationBuilder.CreateIndex(
                name: "IX_People_PostcodeIndex",
                table: "People",
                column: "PostcodeIndex");

            migrationBuilder.CreateIndex(
                name: "IX_PersonIdentifiers_Kind_ValueIndex",
                table: "PersonIdentifiers",
                columns: new[] { "Kind", "ValueIndex" });

            migrationBuilder.CreateIndex(
                name: "IX_PersonIdentifiers_PersonId",
                table: "PersonIdentifiers",
                column: "PersonId");

            migrationBuilder.CreateIndex(
                name: "IX_Referrals_Decision_DecisionDueAt",
                table: "Referrals",
                columns: new[] { "Decision", "DecisionDueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Referrals_OwningAgency",
                table: "Referrals",
                column: "OwningAgency");

            migrationBuilder.CreateIndex(
                name: "IX_Referrals_SubjectPersonId",
                table: "Referrals",
                column: "SubjectPersonId");

            migrationBuilder.CreateIndex(
                name: "IX_Relationships_OwningAgency",
                table: "Relationships",
                column: "OwningAgency");

            migrationBuilder.CreateIndex(
                name: "IX_Relationships_PersonId",
                table: "Relationships",
                column: "PersonId");

            migrationBuilder.CreateIndex(
                name: "IX_Relationships_RelatedPersonId",
                table: "Relationships",
                column: "RelatedPersonId");

            migrationBuilder.CreateIndex(
                name: "IX_States_OwningAgency",
                table: "States",
                column: "OwningAgency");

            migrationBuilder.CreateIndex(
                name: "IX_States_PersonId",
                table: "States",
                column: "PersonId");

            migrationBuilder.CreateIndex(
                name: "IX_StrategyMeetings_EnquiryId",
                table: "StrategyMeetings",
                column: "EnquiryId");

            migrationBuilder.CreateIndex(
                name: "IX_StrategyMeetings_OwningAgency",
                table: "StrategyMeetings",
                column: "OwningAgency");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AuditCheckpoints");

            migrationBuilder.DropTable(
                name: "AuditEntries");

            migrationBuilder.DropTable(
                name: "AuditNodes");

            migrationBuilder.DropTable(
                name: "Consents");

            migrationBuilder.DropTable(
                name: "DataKeys");

            migrationBuilder.DropTable(
                name: "EnquiryFgdm");

            migrationBuilder.DropTable(
                name: "EnquiryMembers");

            migrationBuilder.DropTable(
                name: "EnquirySubjects");

            migrationBuilder.DropTable(
                name: "ErasedLinks");

            migrationBuilder.DropTable(
                name: "EventSubjects");

            migrationBuilder.DropTable(
                name: "HouseholdMembers");

            migrationBuilder.DropTable(
                name: "InformationResponses");

            migrationBuilder.DropTable(
                name: "Involvements");

            migrationBuilder.DropTable(
                name: "Notifications");

            migrationBuilder.DropTable(
                name: "PersonIdentifiers");

            migrationBuilder.DropTable(
                name: "RecordHistory");

            migrationBuilder.DropTable(
                name: "Referrals");

            migrationBuilder.DropTable(
                name: "Relationships");

            migrationBuilder.DropTable(
                name: "States");

            migrationBuilder.DropTable(
                name: "StrategyMeetings");

            migrationBuilder.DropTable(
                name: "Events");

            migrationBuilder.DropTable(
                name: "Households");

            migrationBuilder.DropTable(
                name: "InformationRequests");

            migrationBuilder.DropTable(
                name: "People");

            migrationBuilder.DropTable(
                name: "Enquiries");

            migrationBuilder.DropTable(
                name: "Agencies");
        }
    }
}
