using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CaseJourney : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ConferenceDueBy",
                table: "Enquiries",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "CoreGroupDueBy",
                table: "Enquiries",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "JointWithPolice",
                table: "Enquiries",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "PlanCategory",
                table: "Enquiries",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "PlanEndedAt",
                table: "Enquiries",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "PlanStartedAt",
                table: "Enquiries",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "PreProceedingsAt",
                table: "Enquiries",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ReviewDueBy",
                table: "Enquiries",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "Section47StartedAt",
                table: "Enquiries",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Stage",
                table: "Enquiries",
                type: "character varying(40)",
                maxLength: 40,
                nullable: false,
                defaultValue: "Section47");

            migrationBuilder.AddColumn<string>(
                name: "StrategyDecision",
                table: "Enquiries",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "StrategyDecisionReasons",
                table: "Enquiries",
                type: "bytea",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "EnquiryConferences",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    EnquiryId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    HeldAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Attendance = table.Column<List<string>>(type: "text[]", nullable: false),
                    Decision = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Category = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    RecordedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EnquiryConferences", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EnquiryConferences_Enquiries_EnquiryId",
                        column: x => x.EnquiryId,
                        principalTable: "Enquiries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "EnquiryCoreGroupMeetings",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    EnquiryId = table.Column<Guid>(type: "uuid", nullable: false),
                    HeldAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    RecordedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EnquiryCoreGroupMeetings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EnquiryCoreGroupMeetings_Enquiries_EnquiryId",
                        column: x => x.EnquiryId,
                        principalTable: "Enquiries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "EnquiryEmergencyActions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    EnquiryId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    EndsAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ActingAgency = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    ActedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    RecordedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EnquiryEmergencyActions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EnquiryEmergencyActions_Enquiries_EnquiryId",
                        column: x => x.EnquiryId,
                        principalTable: "Enquiries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Enquiries_Status_Stage",
                table: "Enquiries",
                columns: new[] { "Status", "Stage" });

            migrationBuilder.CreateIndex(
                name: "IX_EnquiryConferences_EnquiryId",
                table: "EnquiryConferences",
                column: "EnquiryId");

            migrationBuilder.CreateIndex(
                name: "IX_EnquiryCoreGroupMeetings_EnquiryId",
                table: "EnquiryCoreGroupMeetings",
                column: "EnquiryId");

            migrationBuilder.CreateIndex(
                name: "IX_EnquiryEmergencyActions_EnquiryId",
                table: "EnquiryEmergencyActions",
                column: "EnquiryId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "EnquiryConferences");

            migrationBuilder.DropTable(
                name: "EnquiryCoreGroupMeetings");

            migrationBuilder.DropTable(
                name: "EnquiryEmergencyActions");

            migrationBuilder.DropIndex(
                name: "IX_Enquiries_Status_Stage",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "ConferenceDueBy",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "CoreGroupDueBy",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "JointWithPolice",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "PlanCategory",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "PlanEndedAt",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "PlanStartedAt",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "PreProceedingsAt",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "ReviewDueBy",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "Section47StartedAt",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "Stage",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "StrategyDecision",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "StrategyDecisionReasons",
                table: "Enquiries");
        }
    }
}
